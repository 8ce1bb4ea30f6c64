"""A FastAPI route calls its service's async webhook method without await:
the coroutine is created and dropped, so nothing in it runs, neither the
verification nor its placeholder secret (Simple2B/cortex-backend). The
twin awaits it, and the placeholder is what verification then uses."""
import stripe
from fastapi import APIRouter, Header, HTTPException, Request

router = APIRouter()
PLACEHOLDER = "whsec_secret"
OTHER_PLACEHOLDER = "whsec_secret"  # expect: webhook/empty-secret


class VisitService:
    async def webhook(self, request: Request, stripe_signature: str):
        data = await request.body()
        try:
            event = stripe.Webhook.construct_event(payload=data, secret=PLACEHOLDER, sig_header=stripe_signature)
        except (ValueError, stripe.error.SignatureVerificationError):
            raise HTTPException(status_code=400)
        print(event["type"])

    async def webhook_awaited(self, request: Request, stripe_signature: str):
        data = await request.body()
        try:
            event = stripe.Webhook.construct_event(payload=data, secret=OTHER_PLACEHOLDER, sig_header=stripe_signature)
        except (ValueError, stripe.error.SignatureVerificationError):
            raise HTTPException(status_code=400)
        print(event["type"])


@router.post("/webhook")
async def webhook(request: Request, stripe_signature: str = Header(None)):
    service = VisitService()
    service.webhook(request, stripe_signature)
    return "ok"


@router.post("/webhook2")
async def webhook_awaited(request: Request, stripe_signature: str = Header(None)):
    service = VisitService()
    await service.webhook_awaited(request, stripe_signature)
    return "ok"
