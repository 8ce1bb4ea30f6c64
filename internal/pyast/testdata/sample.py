# Covers the node kinds the analyzers rely on.
import os, json as j
import stripe as s
from stripe import Webhook as W, StripeClient
from .helpers import verify as v, other
from ..pkg.mod import thing

SECRET = os.environ.get("X", "")
A = B = 3


@app.route("/webhook", methods=["POST"])
@csrf_exempt
async def handler(request: Request, x=1, *args, y: int = 2, **kw):
    payload = await request.body()
    with open("f") as fh, ctx() as (a, b):
        pass
    if (n := len(payload)) > 0:
        event = s.Webhook.construct_event(payload, sig, SECRET, tolerance=None)
    try:
        pass
    except (ValueError, s.error.SignatureVerificationError) as e:
        return "x", 400
    print(f"key {k[:8]!r} {d['x']}")

    def inner():
        return W.construct_event(payload, 1, 2)


class View(Base, metaclass=M):
    attr = "v"

    def post(self, request):
        return self.helper()

    @staticmethod
    def helper():
        return "\x41\u00e9" "b"
