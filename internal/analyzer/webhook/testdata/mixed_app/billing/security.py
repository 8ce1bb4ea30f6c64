import stripe

from billing.config import settings


def _check(payload, header):
    return stripe.Webhook.construct_event(payload, header, settings.STRIPE_WEBHOOK_SECRET)


def check_signature(payload, header):
    # one more hop so that the analysis has to go three calls deep
    return _check(payload, header)


def lenient_check(payload, header):
    try:
        return _check(payload, header)
    except stripe.error.SignatureVerificationError:  # expect: webhook/swallowed-verification-error
        return stripe.Event.construct_from(stripe.util.json.loads(payload), stripe.api_key)
