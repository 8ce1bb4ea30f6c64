import stripe


class StripeWebhookService:
    """Verification lives in a service class used by several views."""

    def __init__(self, secret):
        self.secret = secret

    def parse(self, payload, sig_header):
        return stripe.Webhook.construct_event(payload, sig_header, self.secret)


def process_event(event):
    if event["type"] == "invoice.payment_failed":
        print("dunning", event["data"]["object"]["customer"])
