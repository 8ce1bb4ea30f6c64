import logging

log = logging.getLogger(__name__)


async def handle_stripe_event(event):
    if event["type"] == "checkout.session.completed":
        log.info("paid %s", event["data"]["object"]["id"])


async def handle_paypal_event(event):
    log.info("paypal %s", event.get("id"))


async def verify_paypal(headers, payload):
    return headers.get("PAYPAL-TRANSMISSION-SIG") is not None and payload


def verify_braintree(signature, body):
    return bool(signature and body)


def handle_braintree(body):
    log.info("braintree %d bytes", len(body))


def verify_adyen(headers, body):
    return bool(headers.get("Adyen-Hmac") and body)


def handle_adyen(notification):
    log.info("adyen %s", notification.get("pspReference"))
