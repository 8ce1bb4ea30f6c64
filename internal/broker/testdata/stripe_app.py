"""A small payments app using the real stripe-python, configured for the
stripeguard broker: it holds only its sk_broker_ token, never a Stripe key.

Usage: stripe_app.py scenario   (scenarios below)
Environment: STRIPE_API_BASE (the broker), STRIPE_BROKER_TOKEN.
Prints one JSON line per call: {"call": ..., "ok": bool, "error": class,
"code": ..., "status": ..., "text": what the app got back}.
"""
import json
import os
import sys
import threading
import time

import stripe

stripe.api_base = os.environ["STRIPE_API_BASE"]
stripe.api_key = os.environ["STRIPE_BROKER_TOKEN"]
stripe.max_network_retries = 0

out_lock = threading.Lock()


def report(call, fn):
    try:
        obj = fn()
        line = {"call": call, "ok": True, "text": json.dumps(obj, default=str)[:2000]}
    except stripe.error.StripeError as e:
        line = {
            "call": call,
            "ok": False,
            "error": type(e).__name__,
            # stripe-python 5 sets .code only on some error classes.
            "code": (e.json_body or {}).get("error", {}).get("code") if isinstance(e.json_body, dict) else None,
            "status": e.http_status,
            "text": str(e) + " " + json.dumps(e.json_body),
        }
    with out_lock:
        print(json.dumps(line), flush=True)
    return line


def allowed_and_denied():
    cus = report("customer.create", lambda: stripe.Customer.create(email="jenny@example.com", name="Jenny"))
    report("customer.retrieve", lambda: stripe.Customer.retrieve("cus_123"))
    report("payment_intent.create", lambda: stripe.PaymentIntent.create(amount=2000, currency="usd", customer="cus_123"))
    report("payment_intent.create.over_limit", lambda: stripe.PaymentIntent.create(amount=9999, currency="usd"))
    report("payment_intent.create.bad_currency", lambda: stripe.PaymentIntent.create(amount=100, currency="jpy"))
    report("payment_intent.create.nested_amount", lambda: stripe.PaymentIntent.create(
        amount=100, currency="usd", transfer_data={"destination": "acct_1", "amount": 9000}))
    report("payout.create", lambda: stripe.Payout.create(amount=100, currency="usd"))
    report("customer.list", lambda: stripe.Customer.list(limit=3))
    report("customer.retrieve.connect_denied", lambda: stripe.Customer.retrieve("cus_123", stripe_account="acct_1Evil"))
    report("customer.retrieve.connect_allowed", lambda: stripe.Customer.retrieve("cus_123", stripe_account="acct_1Partner"))
    report("customer.retrieve.traversal", lambda: stripe.Customer.retrieve("../payouts"))
    report("refund.create", lambda: stripe.Refund.create(charge="ch_123", amount=100, idempotency_key="refund-1"))
    report("refund.create.retry", lambda: stripe.Refund.create(charge="ch_123", amount=100, idempotency_key="refund-1"))
    report("refund.create.reused_key", lambda: stripe.Refund.create(charge="ch_999", amount=500, idempotency_key="refund-1"))
    report("wrong_token", lambda: stripe.Customer.retrieve("cus_123", api_key="sk_broker_" + "x" * 43))
    report("leaky_app", lambda: stripe.Customer.retrieve("cus_123", api_key=os.environ.get("LEAKY_TOKEN", "")))


def traffic():
    """N threads create customers for SECONDS; every result is reported."""
    n = int(os.environ.get("THREADS", "4"))
    seconds = float(os.environ.get("SECONDS", "3"))
    deadline = time.time() + seconds

    def worker(i):
        k = 0
        while time.time() < deadline:
            report("traffic", lambda: stripe.Customer.create(email="t%d-%d@example.com" % (i, k)))
            k += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    {"allowed_and_denied": allowed_and_denied, "traffic": traffic}[sys.argv[1]]()
