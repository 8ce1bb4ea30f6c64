import json
import os

import stripe
import tornado.web


class StripeWebhookHandler(tornado.web.RequestHandler):
    def post(self):
        event = json.loads(self.request.body)  # expect: webhook/unverified-payload
        print(event["type"])
        self.set_status(200)


class VerifiedStripeHandler(tornado.web.RequestHandler):
    def post(self):  # expect: clean
        try:
            event = stripe.Webhook.construct_event(
                self.request.body, self.request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"]
            )
        except (ValueError, stripe.error.SignatureVerificationError):
            raise tornado.web.HTTPError(400)
        print(event.type)
