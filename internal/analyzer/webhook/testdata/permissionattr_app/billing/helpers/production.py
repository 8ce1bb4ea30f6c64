import stripe


def construct_event(payload, sig_header, secret):
    return stripe.Webhook.construct_event(payload, sig_header, secret)
