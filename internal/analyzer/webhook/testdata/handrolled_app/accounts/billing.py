import hashlib
import hmac
import os

import stripe

CHAT_SECRET = os.environ.get("SUPPORT_CHAT_SECRET")
OUTBOUND_SECRET = os.environ.get("OUTBOUND_WEBHOOK_SECRET", "")


def has_stripe_subscription(login: str) -> bool:
    return bool(stripe.Subscription.list(limit=1, customer=login).data)


class Profile:
    def __init__(self, email: str) -> None:
        self.email = email

    # An identity hash for a support widget: an HMAC that nothing compares
    # (the `is None` test is about the secret, not the MAC).
    def email_hash(self):  # expect: clean
        if CHAT_SECRET is None:
            return None
        return hmac.new(CHAT_SECRET.encode(), self.email.encode(), hashlib.sha256).hexdigest()


# The app signs its own outgoing deliveries: a signer, and a check that
# only tests the configuration before signing.
def sign_outgoing(body: bytes) -> str:  # expect: clean
    if OUTBOUND_SECRET == "":
        raise RuntimeError("no outbound secret")
    return hmac.new(OUTBOUND_SECRET.encode(), body, hashlib.sha256).hexdigest()


def outgoing_headers(body: bytes) -> dict:  # expect: clean
    sig = sign_outgoing(body)
    headers = {"X-Shop-Signature": sig}
    if len(headers) != 1:
        raise RuntimeError("unexpected headers")
    return headers
