import json
import os

import stripe
from aiohttp import web

routes = web.RouteTableDef()
SECRET = os.getenv("STRIPE_WEBHOOK_SECRET")


@routes.post("/webhook")
async def aio_unverified(request):
    data = await request.json()  # expect: webhook/unverified-payload
    if data["type"] == "charge.refunded":
        print("refund", data["data"]["object"]["id"])
    return web.json_response({"ok": True})


@routes.post("/webhook-verified")
async def aio_verified(request):  # expect: clean
    body = await request.read()
    try:
        event = stripe.Webhook.construct_event(body, request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return web.Response(status=400)
    print(event.type)
    return web.json_response({"ok": True})


async def legacy(request):
    payload = json.loads(await request.text())  # expect: webhook/unverified-payload
    print(payload["type"])
    return web.Response(text="ok")


app = web.Application()
app.add_routes(routes)
app.router.add_post("/legacy-webhook", legacy)
