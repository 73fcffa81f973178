// Headless Chromium for the browser tests: Debian's /usr/bin/chromium when present (CHROMIUM_PATH
// overrides), else the binary the npm package @sparticuz/chromium ships (unpacked on first use).
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export async function chromiumPath(): Promise<string> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  const { default: packaged } = await import("@sparticuz/chromium");
  return packaged.executablePath();
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-zygote",
    ],
  });
}
