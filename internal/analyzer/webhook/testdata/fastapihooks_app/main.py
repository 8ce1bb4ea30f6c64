from fastapi import Depends, FastAPI, Request

from api.routers import included, plain, signed
from api.security import StripeSignatureMiddleware, verify_stripe

app = FastAPI()
app.add_middleware(StripeSignatureMiddleware)
app.include_router(signed)
app.include_router(plain)
app.include_router(included, dependencies=[Depends(verify_stripe)])


def fulfil(event):
    if event["type"] == "customer.subscription.deleted":
        print("cancel", event["data"]["object"]["id"])


@app.post("/mw/stripe/events")
async def middleware_webhook(request: Request):  # expect: clean
    fulfil(await request.json())
    return {}


@app.post("/other/stripe/events")
async def uncovered_webhook(request: Request):
    fulfil(await request.json())  # expect: webhook/unverified-payload
    return {}
