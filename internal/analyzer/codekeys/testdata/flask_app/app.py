import logging
import os

import stripe
from flask import Flask, jsonify, request
from stripe import StripeClient

from config import Config

app = Flask(__name__)
app.config.from_object(Config)
log = logging.getLogger(__name__)

stripe.api_key = app.config["STRIPE_SECRET_KEY"]  # expect: codekeys/key-held-by-application
client = StripeClient("rk_live_FAKEFAKEFAKE0000000000000002")  # expect: codekeys/hardcoded-api-key
env_client = StripeClient(os.environ["STRIPE_RESTRICTED_KEY"])  # observe: keys.from-environment
fallback_key = os.getenv("STRIPE_SECRET_KEY", "sk_test_FAKEFAKEFAKE0000000000000003")  # expect: codekeys/key-in-env-default
WEBHOOK_SECRET = "whsec_FAKEFAKEFAKE00000000000002"  # expect: codekeys/hardcoded-webhook-secret
SECRET_FROM_ENV = os.environ["STRIPE_SECRET_KEY"]


def charge(amount):
    return stripe.PaymentIntent.create(amount=amount, currency="eur", api_key="sk_test_FAKEFAKEFAKE0000000000000004")  # expect: codekeys/hardcoded-api-key


@app.route("/debug/stripe")
def debug_stripe():
    print(stripe.api_key)  # expect: codekeys/key-logged
    log.info(f"using Stripe key {SECRET_FROM_ENV}")  # expect: codekeys/key-logged
    log.info("key prefix %s", SECRET_FROM_ENV[:8])
    log.info("key suffix %s", SECRET_FROM_ENV[-4:])
    log.info("key start %s", SECRET_FROM_ENV[:12])  # expect: codekeys/key-logged
    log.info("key set: %s", bool(stripe.api_key))
    app.logger.debug("webhook secret %s", WEBHOOK_SECRET)  # expect: codekeys/key-logged
    return jsonify(key=stripe.api_key)  # expect: codekeys/key-in-response


@app.route("/config")
def public_config():
    return {"publishable_key": os.environ["STRIPE_PUBLISHABLE_KEY"]}


@app.route("/leak")
def leak_config():
    return {"secret": SECRET_FROM_ENV}  # expect: codekeys/key-in-response


@app.route("/debug/env")
def debug_env():
    print(os.environ["STRIPE_SECRET_KEY"])  # expect: codekeys/key-logged
    print(os.getenv("STRIPE_WEBHOOK_SECRET"))  # expect: codekeys/key-logged
    print(os.environ["STRIPE_SECRET_KEY"][:7])
    print(os.environ["STRIPE_PUBLISHABLE_KEY"])
    return "ok"


def check_key():
    if not stripe.api_key.startswith("sk_"):
        raise RuntimeError("bad Stripe key %s" % stripe.api_key)  # expect: codekeys/key-logged
    raise RuntimeError("Stripe key missing")


class StripeSettings:
    @property
    def secret_key(self):  # expect: clean
        return os.environ["STRIPE_SECRET_KEY"]
