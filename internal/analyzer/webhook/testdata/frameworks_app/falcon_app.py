import json
import os

import falcon
import stripe

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "charge.refunded":
        print("refund", event["data"]["object"]["id"])


def verify_stripe(req, resp, resource, params):
    try:
        req.context.stripe_event = stripe.Webhook.construct_event(req.bounded_stream.read(), req.get_header("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise falcon.HTTPBadRequest(title="invalid signature")


class StripeResource:
    def on_post(self, req, resp):  # expect: clean
        try:
            event = stripe.Webhook.construct_event(req.bounded_stream.read(), req.get_header("Stripe-Signature"), SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            raise falcon.HTTPBadRequest(title="invalid signature")
        fulfil(event)
        resp.media = {"received": True}


class UnverifiedResource:
    def on_post(self, req, resp):
        event = req.media  # expect: webhook/unverified-payload
        fulfil(event)
        resp.media = {"received": True}


@falcon.before(verify_stripe)
class HookedResource:
    def on_post(self, req, resp):  # expect: clean
        fulfil(req.context.stripe_event)
        resp.media = {"received": True}


class StreamResource:
    def on_post(self, req, resp):
        event = json.loads(req.stream.read())  # expect: webhook/unverified-payload
        fulfil(event)


class AsyncStripeResource:
    async def on_post(self, req, resp):
        event = await req.get_media()  # expect: webhook/unverified-payload
        fulfil(event)


app = falcon.App()
app.add_route("/stripe/webhook", StripeResource())
app.add_route("/stripe/unverified", UnverifiedResource())
app.add_route("/stripe/hooked", HookedResource())
app.add_route("/stripe/stream", StreamResource())
