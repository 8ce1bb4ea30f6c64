import stripe

# copied from the Stripe docs
stripe.api_key = "@@doc_sk@@"

# "obfuscated" by splitting
FALLBACK_KEY = ("@@sk_test:0:40@@"
                "@@sk_test:40:@@")
OTHER = "@@sk_live_short:0:12@@" + "@@sk_live_short:12:@@"

EXAMPLE = "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"


def charge(amount):
    return stripe.PaymentIntent.create(amount=amount, currency="usd")
