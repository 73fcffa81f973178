// Engine selection and the extension check on a fixed offer (the rules both env-manager and the
// Worker apply), and the Worker's per-isolate cache of the platform's offers.
import { describe, expect, it } from "vitest";
import {
  checkExtensions,
  type EngineOffer,
  extensionsKey,
  selectEngine,
} from "../../src/clients/contracts/engines.ts";
import {
  checkEngineAtCreate,
  OFFERS_TTL_MS,
  platformOffers,
  resolveEngine,
} from "../../src/engines/check.ts";
import { AppError } from "../../src/errors.ts";

function offer(version: string, extensions: EngineOffer["extensions"] = {}): EngineOffer {
  return {
    engine: `postgres-${version}`,
    version,
    major: Number(version.split(".")[0]),
    settings_digest: "s-x",
    default: false,
    extensions,
  };
}

const trgm = { versions: ["1.3", "1.4", "1.5", "1.6"], default_version: "1.6", trusted: true };
const OFFERS = [offer("14.23"), offer("16.4"), offer("16.14", { pg_trgm: trgm }), offer("18.4")];

describe("selectEngine", () => {
  it("takes the newest minor for a major and an exact version otherwise", () => {
    expect(selectEngine("16", OFFERS)?.version).toBe("16.14");
    expect(selectEngine("16.4", OFFERS)?.version).toBe("16.4");
    expect(selectEngine("16.14", OFFERS)?.version).toBe("16.14");
    expect(selectEngine("14", OFFERS)?.version).toBe("14.23");
  });

  it("finds nothing for a missing major or minor, or a longer version", () => {
    expect(selectEngine("13", OFFERS)).toBeNull();
    expect(selectEngine("16.1", OFFERS)).toBeNull();
    expect(selectEngine("16.14.1", OFFERS)).toBeNull();
    expect(selectEngine("1", OFFERS)).toBeNull();
  });
});

describe("checkExtensions", () => {
  it("passes installable versions and names the first field at fault otherwise", () => {
    const on16 = OFFERS[2]!;
    expect(checkExtensions(on16, {})).toBeNull();
    expect(checkExtensions(on16, { pg_trgm: "1.4" })).toBeNull();
    expect(checkExtensions(on16, { pg_trgm: "2.0" })).toEqual({
      code: "unsupported_extension_version",
      field: "extensions.pg_trgm",
      message:
        'extensions.pg_trgm: PostgreSQL 16.14 cannot install pg_trgm version "2.0"; available: 1.3, 1.4, 1.5, 1.6',
    });
    expect(checkExtensions(on16, { pg_trgm: "1.6", postgis: "3.5.0" })).toMatchObject({
      code: "unknown_extension",
      field: "extensions.postgis",
    });
    // An inherited property name is not an extension.
    expect(checkExtensions(on16, { constructor: "1" })?.code).toBe("unknown_extension");
  });

  it("keys a set of extensions independently of its order", () => {
    expect(extensionsKey({ b: "1", a: "2" })).toBe(extensionsKey({ a: "2", b: "1" }));
    expect(extensionsKey({})).toBe("");
  });
});

describe("resolveEngine", () => {
  it("throws 422s naming the manifest field", () => {
    const fail = (engine: string, extensions: Record<string, string> = {}) => {
      try {
        resolveEngine(OFFERS, { engine, extensions });
      } catch (err) {
        return err as AppError;
      }
      throw new Error("expected a rejection");
    };
    const engine = fail("15");
    expect(engine).toBeInstanceOf(AppError);
    expect(engine.status).toBe(422);
    expect(engine.code).toBe("unsupported_engine");
    expect(engine.details).toEqual({ field: "engine" });
    expect(engine.message).toBe(
      "sql-runner.json: engine: PostgreSQL 15 is not available; available: 14.23, 16.4, 16.14, 18.4",
    );
    expect(fail("16", { nope: "1" }).details).toEqual({ field: "extensions.nope" });
    expect(resolveEngine(OFFERS, { engine: "16", extensions: { pg_trgm: "1.6" } }).engine).toBe(
      "postgres-16.14",
    );
  });
});

describe("platformOffers", () => {
  it("asks the platform once per minute and again after a failure", async () => {
    let calls = 0;
    let fail = false;
    const health = async () => {
      calls++;
      if (fail) throw new AppError(503, "env_unavailable", "down");
      return { engines: OFFERS } as Awaited<ReturnType<Parameters<typeof platformOffers>[1]>>;
    };
    const key = `http://unit-${crypto.randomUUID()}`;
    const t0 = 1_000_000;
    expect(await platformOffers(key, health, t0)).toBe(OFFERS);
    await platformOffers(key, health, t0 + OFFERS_TTL_MS - 1);
    expect(calls).toBe(1);
    fail = true;
    await expect(platformOffers(key, health, t0 + OFFERS_TTL_MS)).rejects.toThrow("down");
    fail = false;
    expect(await platformOffers(key, health, t0 + OFFERS_TTL_MS + 1)).toBe(OFFERS);
    expect(calls).toBe(3);
  });

  it("accepts at create when the platform cannot be asked, and rejects when it says no", async () => {
    const down = async (): Promise<never> => {
      throw new AppError(503, "env_unavailable", "down");
    };
    await expect(
      checkEngineAtCreate(`http://down-${crypto.randomUUID()}`, down, {
        engine: "13",
        extensions: {},
      }),
    ).resolves.toBeUndefined();
    const up = async () =>
      ({ engines: OFFERS }) as Awaited<ReturnType<Parameters<typeof platformOffers>[1]>>;
    await expect(
      checkEngineAtCreate(`http://up-${crypto.randomUUID()}`, up, { engine: "13", extensions: {} }),
    ).rejects.toMatchObject({ status: 422, code: "unsupported_engine" });
  });
});
