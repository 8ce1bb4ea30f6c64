import os

import stripe
from starlette.endpoints import HTTPEndpoint
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


class StripeWebhook(HTTPEndpoint):
    async def post(self, request):  # expect: clean
        try:
            event = stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature"), SECRET)
        except (ValueError, stripe.SignatureVerificationError):
            return Response(status_code=400)
        return JSONResponse({"type": event.type})


class StripeWebhookUnverified(HTTPEndpoint):
    async def post(self, request):
        event = await request.json()  # expect: webhook/unverified-payload
        return JSONResponse({"type": event["type"]})


routes = [Route("/stripe/webhook", StripeWebhook), Route("/stripe/unverified", StripeWebhookUnverified)]
