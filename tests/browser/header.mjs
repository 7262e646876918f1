// The header in a real browser (Debian's Chromium, driven by playwright-core): the vehicle picker
// asks for the submodel when parts fit only some submodels of the chosen car, and saves it; then
// search-as-you-type shows its suggestions in groups, the products narrowed to that car, and the
// arrow keys step from the box to the first suggestion past the group heading.
//
// Usage: node header.mjs BASE_URL SHOTS_DIR   (cargo test runs it; see tests/api/browser.rs)
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(shots, { recursive: true });

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log("ok: " + what);
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${base}/`);
  const submodel = page.locator("form.vehicle-pick select[name=submodel]");
  check(await submodel.isHidden(), "before a model is chosen there is no submodel step");
  await page.selectOption("#pick-year", "2009");
  await page.waitForSelector("form.vehicle-pick select[name=make] option[value=Honda]", { state: "attached" });
  await page.selectOption("form.vehicle-pick select[name=make]", "Honda");
  await page.waitForSelector("form.vehicle-pick select[name=model] option[value=Civic]", { state: "attached" });
  await page.selectOption("form.vehicle-pick select[name=model]", "Civic");
  await submodel.waitFor({ state: "visible" });
  const offered = await submodel.locator("option").allTextContents();
  check(offered.includes("LX") && offered.includes("EX"), "the picker asks which Civic: " + offered.join(", "));
  await page.screenshot({ path: `${shots}/header-picker.png` });
  await submodel.selectOption("LX");
  await Promise.all([page.waitForNavigation(), page.click("form.vehicle-pick button")]);
  check((await page.textContent("body")).includes("2009 Honda Civic LX"), "the garage keeps the 2009 Honda Civic LX");

  await page.goto(`${base}/`);
  check(
    (await page.textContent(".vehicle-bar")).includes("Shopping for your 2009 Honda Civic LX"),
    "the home page seen before the car was saved now names it (not the browser's old copy)",
  );
  await page.fill("#site-q", "brake");
  await page.waitForSelector("ul.suggest li.suggest-group");
  const headings = await page.locator("ul.suggest li.suggest-group").allTextContents();
  check(headings[0] === "Fits your 2009 Honda Civic LX", "the products come first, for the saved car: " + headings.join(" | "));
  check(headings.includes("Categories"), "categories are a group of their own");
  await page.screenshot({ path: `${shots}/header-suggestions.png` });
  await page.press("#site-q", "ArrowDown");
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
  check(focused === "A", "the down arrow goes to the first suggestion, past the heading");
  console.log("ok: the header picker and the grouped suggestions work");
} finally {
  await browser.close();
}
