"""A Locust load profile for storefront: the same mix `storefront rehearse --profile spike` drives.

    pip install locust
    locust -f deploy/locust/locustfile.py --host http://127.0.0.1:8080 --users 200 --spawn-rate 50

Rehearse against a copy of the shop (`storefront restore` a backup into a spare data dir and
serve it), never the live one: the shoppers place real orders, paid with the test card, so the
copy needs `[payments] test_cards = true`.

Per-address limits: every simulated shopper comes from this one host, and storefront limits each
client address (checkouts and API calls per minute, connections per address). For a rehearsal,
serve the copy with `STOREFRONT_LIMITS_ENABLED=false`; behind a proxy on the same host the limits
apply per `X-Forwarded-For`, so a rehearsal through the proxy may instead send a distinct
`X-Forwarded-For` per simulated shopper (set FORWARDED_FOR=1 below, and trust the proxy with
`[limits] behind_proxy`). Without either, most shoppers get 429 and the run measures the limits.
"""

import os
import random
import uuid

from locust import HttpUser, between, task

FORWARDED_FOR = os.environ.get("FORWARDED_FOR") == "1"
ADDRESS = {
    "name": "Locust Shopper",
    "line1": "1 Load St",
    "city": "Portland",
    "region": "OR",
    "postal_code": "97201",
    "country": "US",
}


class Shopper(HttpUser):
    wait_time = between(0.5, 3)

    def on_start(self):
        if FORWARDED_FOR:
            self.client.headers["X-Forwarded-For"] = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        products = self.client.get("/api/v1/products?per_page=100", name="/api/v1/products").json()["items"]
        self.skus = [p["sku"] for p in products if p.get("stock", 0) > 0 and "bundle" not in p]
        self.categories = sorted({p["category"] for p in products if p.get("category")})
        self.words = sorted({w.lower() for p in products for w in p["title"].split() if len(w) >= 4})
        self.cart = None

    @task(15)
    def home(self):
        self.client.get("/", name="/")

    @task(15)
    def category(self):
        if self.categories:
            slug = random.choice(self.categories).lower().replace(" ", "-")
            self.client.get(f"/c/{slug}", name="/c/[category]")

    @task(15)
    def product(self):
        if self.skus:
            self.client.get(f"/p/{random.choice(self.skus)}", name="/p/[sku]")

    @task(30)
    def search(self):
        if self.words:
            self.client.get("/search", params={"q": random.choice(self.words)}, name="/search")

    @task(10)
    def vehicle_picker(self):
        years = self.client.get("/api/v1/vehicles/years", name="/api/v1/vehicles/years").json()["values"]
        if years:
            self.client.get("/api/v1/vehicles/makes", params={"year": random.choice(years)}, name="/api/v1/vehicles/makes")

    @task(10)
    def add_to_cart(self):
        if not self.skus:
            return
        res = self.client.post("/api/v1/carts", json={"items": [{"sku": random.choice(self.skus), "quantity": 1}]}, name="/api/v1/carts")
        if res.status_code == 201:
            self.cart = res.json()["id"]

    @task(5)
    def checkout(self):
        if not self.cart:
            self.add_to_cart()
        if not self.cart:
            return
        body = {
            "cart_id": self.cart,
            "email": f"locust-{uuid.uuid4().hex[:8]}@example.com",
            "shipping_address": ADDRESS,
            "shipping_method": "standard",
            "payment": {"method": "test", "token": "tok_visa"},
        }
        # The same key on a retry: a timeout never makes a second order.
        key = uuid.uuid4().hex
        with self.client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": key}, name="/api/v1/checkout", catch_response=True) as res:
            if res.status_code == 503 and res.json().get("error", {}).get("code") == "waiting_room":
                # In the waiting room: not a failure, the valve working.
                res.success()
            elif res.status_code in (201, 409):
                res.success()
        self.cart = None
