import stripe

DEFAULT = "literal"


def verify(payload, sig, secret):
    return stripe.Webhook.construct_event(payload, sig, secret)


class Service:
    def __init__(self):
        self.key = DEFAULT

    def run(self):
        return self.key
