"""Logging helpers used by the Stripe billing code."""
import logging

log = logging.getLogger(__name__)


def show(value):
    log.info("configured: %s", value)  # expect: codekeys/key-logged


def show_order(order_id):  # expect: clean
    log.info("order %s", order_id)
