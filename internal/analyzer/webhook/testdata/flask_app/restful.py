import stripe
from flask import Flask, request
from flask_restful import Api, Resource

from config import STRIPE_WEBHOOK_SECRET

app = Flask(__name__)
api = Api(app)


class StripeEvents(Resource):
    def post(self):
        event = request.get_json()  # expect: webhook/unverified-payload
        if event["type"] == "customer.subscription.deleted":
            print("cancel", event["data"]["object"]["id"])
        return {"ok": True}


class StripeEventsVerified(Resource):
    def post(self):  # expect: clean
        try:
            event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return {"error": "bad signature"}, 400
        return {"type": event.type}


api.add_resource(StripeEvents, "/restful/events")
api.add_resource(StripeEventsVerified, "/restful/events-verified")
