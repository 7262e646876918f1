// The shopper's journey in a real browser (Debian's Chromium, driven by playwright-core): a 2009
// Honda Civic goes into the garage, a search for front brake pads finds parts that fit, one goes
// into the cart and through checkout with the test card to the order page. Each page is
// screenshotted into SHOTS_DIR and checked with axe-core (WCAG 2 A and AA): no serious or
// critical violation may remain.
//
// Usage: node journey.mjs BASE_URL SHOTS_DIR   (cargo test runs it; see tests/api/browser.rs)
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const [base, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
mkdirSync(shots, { recursive: true });

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log("ok: " + what);
}

let step = 0;
const problems = [];

/// Screenshots the page and runs axe-core on it; serious and critical violations are kept.
async function look(page, name) {
  step += 1;
  await page.screenshot({ path: `${shots}/${String(step).padStart(2, "0")}-${name}.png`, fullPage: true });
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } }),
  );
  for (const v of result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
    problems.push(`${name}: ${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  }
  console.log(`ok: ${name} screenshotted and checked by axe-core (${result.violations.length} minor or worse findings)`);
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  // axe-core is injected as a script: the shop's CSP (rightly) refuses inline scripts.
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();

  await page.goto(`${base}/`);
  await look(page, "home");

  await page.goto(`${base}/garage?year=2009`);
  await page.selectOption("#pick", "Honda");
  await page.click("form.garage-step button[type=submit]");
  await page.waitForLoadState("load");
  await page.selectOption("#pick", "Civic");
  await page.click("form.garage-step button[type=submit]");
  await page.waitForLoadState("load");
  await look(page, "garage");
  await page.click("form.garage-step button[type=submit]");
  await page.waitForLoadState("load");
  check((await page.textContent("body")).includes("2009 Honda Civic"), "the garage keeps the 2009 Honda Civic");

  await page.goto(`${base}/search?q=front+brake+pads`);
  const body = await page.textContent("body");
  check(body.includes("Fits your 2009 Honda Civic"), "search results say which parts fit the saved car");
  await look(page, "search");

  await page.click("article.card a.card-link >> nth=0");
  await page.waitForURL(/\/p\//);
  check((await page.textContent("body")).includes("2009 Honda Civic"), "the product page checks the fit");
  await look(page, "product");

  await page.click("form[action='/cart/add'] button[type=submit]");
  await page.waitForURL(/\/cart/);
  await look(page, "cart");

  await page.goto(`${base}/checkout`);
  await page.fill("#email", "sam@example.com");
  await page.fill("#name", "Sam Lee");
  await page.fill("#line1", "9 Oak Ave");
  await page.fill("#city", "Portland");
  await page.selectOption("#country", "US");
  await page.click("button[value=update]");
  await page.waitForLoadState("load");
  await page.selectOption("#region", "OR");
  await page.fill("#postal_code", "97201");
  await page.click("button[value=update]");
  await page.waitForLoadState("load");
  await page.check("input[name=payment][value=tok_visa]");
  await look(page, "checkout");
  await page.click("button[value=place]");
  await page.waitForURL(/\/orders\//, { timeout: 15000 });
  check((await page.textContent("body")).includes("Paid, being prepared"), "the order is placed and paid");
  await look(page, "order");

  check(problems.length === 0, "no serious or critical accessibility violation:\n  " + problems.join("\n  "));
} finally {
  await browser.close();
}
