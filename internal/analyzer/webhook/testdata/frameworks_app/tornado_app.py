import json
import os

import stripe
import tornado.web

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


class SignedHandler(tornado.web.RequestHandler):
    def prepare(self):
        try:
            self.stripe_event = stripe.Webhook.construct_event(self.request.body, self.request.headers.get("Stripe-Signature"), SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            raise tornado.web.HTTPError(400)

    def post(self):  # expect: clean
        fulfil(json.loads(self.request.body))


class PreparedButUnsigned(tornado.web.RequestHandler):
    def prepare(self):
        self.started = True

    def post(self):
        fulfil(json.loads(self.request.body))  # expect: webhook/unverified-payload


def make_app():
    return tornado.web.Application([(r"/stripe/signed", SignedHandler), (r"/stripe/unsigned", PreparedButUnsigned)])
