import { describe, expect, it } from "vitest";
import { scramClientFinal } from "../../src/clients/pg.ts";

describe("SCRAM-SHA-256 client (one PBKDF2 call)", () => {
  it("matches the RFC 7677 example exchange", async () => {
    const out = await scramClientFinal(
      { clientNonce: "rOprNGfwEbeRWgbNEkqO" },
      "pencil",
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "user",
    );
    expect(out.response).toBe(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    expect(out.serverSignature).toBe("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  });

  it("rejects a server nonce that does not extend the client's", async () => {
    await expect(
      scramClientFinal({ clientNonce: "abc" }, "pw", "r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
    ).rejects.toThrow(/nonce/);
  });
});
