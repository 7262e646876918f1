// A shopper pays by card in a real browser (Debian's Chromium, driven by playwright-core),
// through the store's checkout page and the Stripe.js that `js_url` names (localstripe's, in
// the tests): once with a card that pays, once with one whose bank asks for 3-D Secure.
//
// Usage: node pay.mjs BASE_URL   (cargo test runs it; see tests/api/browser.rs)
import { chromium } from "playwright-core";

const base = process.argv[2];
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log("ok: " + what);
}

async function buy(page, card) {
  await page.goto(`${base}/p/SAUCE-5`);
  await page.click("form[action='/cart/add'] button[type=submit]");
  await page.waitForURL(/\/cart/);
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
  check(await page.isChecked("input[name=payment][value=stripe]"), "the card is offered first");
  const slot = page.locator("#card-element");
  await slot.locator("input[placeholder=number]").fill(card);
  await slot.locator("input[placeholder=exp_month]").fill("12");
  await slot.locator("input[placeholder=exp_year]").fill("34");
  await slot.locator("input[placeholder=cvc]").fill("123");
  await slot.locator("input[placeholder=postal_code]").fill("97201");
  await page.click("button[value=place]");
  await page.waitForURL(/\/orders\//, { timeout: 15000 });
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  page.on("console", (m) => console.log("browser: " + m.text()));

  await buy(page, "4242424242424242");
  check((await page.textContent("body")).includes("Paid, being prepared"), "a good card pays at once");

  await buy(page, "4000002500003155");
  // localstripe's Stripe.js asks "3D Secure" in a dialog of its own, as a bank's page would.
  await page.getByText("Complete authentication").click({ timeout: 15000 });
  await page.waitForFunction(() => document.body.textContent.includes("Paid, being prepared"), null, {
    timeout: 30000,
    polling: 500,
  }).catch(async () => {
    await page.reload();
  });
  let paid = (await page.textContent("body")).includes("Paid, being prepared");
  for (let i = 0; i < 20 && !paid; i++) {
    await page.waitForTimeout(1000);
    await page.reload();
    paid = (await page.textContent("body")).includes("Paid, being prepared");
  }
  check(paid, "a card confirmed with the bank pays the order");
} finally {
  await browser.close();
}
