import os

import stripe
from sanic import Sanic, response
from sanic.exceptions import BadRequest
from sanic.views import HTTPMethodView

app = Sanic("billing")
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "customer.subscription.updated":
        print("update", event["data"]["object"]["id"])


@app.post("/stripe/webhook")
async def sanic_webhook(request):  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("stripe-signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise BadRequest("invalid signature")
    fulfil(event)
    return response.json({"received": True})


@app.route("/stripe/unverified", methods=["POST"])
async def sanic_unverified(request):
    event = request.json  # expect: webhook/unverified-payload
    fulfil(event)
    return response.json({"received": True})


class SanicStripeView(HTTPMethodView):
    async def post(self, request):  # expect: clean
        try:
            event = stripe.Webhook.construct_event(request.body, request.headers.get("stripe-signature"), SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return response.json({"error": "invalid signature"}, status=400)
        fulfil(event)
        return response.json({"received": True})


class SanicUnverifiedView(HTTPMethodView):
    async def post(self, request):
        fulfil(request.json)  # expect: webhook/unverified-payload
        return response.json({"received": True})


def sanic_added_webhook(request):
    fulfil(request.json)  # expect: webhook/unverified-payload
    return response.json({"received": True})


app.add_route(SanicStripeView.as_view(), "/stripe/view")
app.add_route(SanicUnverifiedView.as_view(), "/stripe/unverified-view")
app.add_route(sanic_added_webhook, "/stripe/added", methods=["POST"])
