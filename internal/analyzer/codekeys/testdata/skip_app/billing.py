"""Large billing module: most functions are ordinary code."""
import logging
import os

import stripe

from config import region, token
from helpers import show, show_order

log = logging.getLogger(__name__)
KEY = os.environ["STRIPE_SECRET_KEY"]
alias = KEY
k = "sk_live_FAKEFAKEFAKE0000000000000031"  # expect: codekeys/hardcoded-api-key


def configure():
    show(KEY)


def configure_local():
    show_local(KEY)


def show_local(v):
    print(v)  # expect: codekeys/key-logged


def echo_alias():
    log.info("alias %s", alias)  # expect: codekeys/key-logged


def echo_token():
    print(token)  # expect: codekeys/key-logged


def echo_region():  # expect: clean
    print(region)


def sink_key(secret):
    stripe.api_key = secret  # expect: codekeys/key-held-by-application


def setup():
    sink_key(k)


def unrelated(order_id):  # expect: clean
    log.info("order %s", order_id)
    stripe.Customer.modify(order_id, metadata={"region": region})
    show_order(order_id)
    return order_id


class Client:
    def __init__(self):
        self.creds = os.environ["STRIPE_SECRET_KEY"]

    def dump(self):
        print(self.creds)  # expect: codekeys/key-logged

    def describe(self):  # expect: clean
        print(self.__class__.__name__)


class Plain:
    def run(self, order):  # expect: clean
        log.info("running %s", order)
        return order


def compute_total(items):  # expect: clean
    total = sum(item["amount"] for item in items)
    log.info("total %s", total)
    return total


def log_customer(customer_id):  # expect: clean
    log.info("customer %s", customer_id)
