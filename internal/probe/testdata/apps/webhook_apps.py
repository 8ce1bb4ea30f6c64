"""Webhook endpoints for the probe's integration tests.

One file, several apps: --app chooses the handler, --framework flask or
fastapi. Every handler answers 200 {"received": true} when it accepts a
delivery. The signing secret is read from STRIPE_WEBHOOK_SECRET (how depends
on the app). Run with Debian's /usr/bin/python3 (python3-stripe 5.0.0,
python3-flask 2.2.2, python3-fastapi 0.92, python3-uvicorn 0.17.6):

    STRIPE_WEBHOOK_SECRET=whsec_x /usr/bin/python3 webhook_apps.py \
        --app verifying --framework flask --port 8000
"""

import argparse
import json
import os
import sys

import stripe

PATH = "/webhooks/stripe"
ACCEPTED = {"received": True}


def handle(event):
    """What a real app would do: act on the event type."""
    if event["type"] == "checkout.session.completed":
        return event["data"]["object"]["id"]
    return None


# Each flask handler takes (payload bytes, headers) and returns (body, status).


def verifying(payload, headers):
    # The documented pattern: construct_event with the default tolerance, 400
    # on any verification or parse error.
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
    except ValueError:
        return {"error": "invalid payload"}, 400
    except stripe.error.SignatureVerificationError:
        return {"error": "invalid signature"}, 400
    handle(event)
    return ACCEPTED, 200


def non_verifying(payload, headers):
    event = json.loads(payload)
    handle(event)
    return ACCEPTED, 200


def fail_open(payload, headers):
    # Stripe's quickstart shape: verify only when a secret is configured.
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET_UNSET_FOR_FAIL_OPEN")
    if secret:
        try:
            event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
        except (ValueError, stripe.error.SignatureVerificationError):
            return {"error": "bad request"}, 400
    else:
        event = json.loads(payload)
    handle(event)
    return ACCEPTED, 200


def header_optional(payload, headers):
    # Verifies only when the header is present.
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    sig = headers.get("Stripe-Signature")
    if sig:
        try:
            event = stripe.Webhook.construct_event(payload, sig, secret)
        except (ValueError, stripe.error.SignatureVerificationError):
            return {"error": "bad request"}, 400
    else:
        event = json.loads(payload)
    handle(event)
    return ACCEPTED, 200


def swallowing(payload, headers):
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
    except stripe.error.SignatureVerificationError:
        pass  # logged and ignored
    event = json.loads(payload)
    handle(event)
    return ACCEPTED, 200


def no_tolerance(payload, headers):
    # verify_header's tolerance defaults to None: no timestamp check.
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"error": "bad request"}, 400
    handle(json.loads(payload))
    return ACCEPTED, 200


def tolerance_none(payload, headers):
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret, tolerance=None)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"error": "bad request"}, 400
    handle(event)
    return ACCEPTED, 200


def empty_secret(payload, headers):
    # The variable is unset in the test, so the secret is "".
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET_UNSET_FOR_EMPTY", "")
    try:
        event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"error": "bad request"}, 400
    handle(event)
    return ACCEPTED, 200


def secret_none(payload, headers):
    # os.environ.get() of an unset variable: secret None makes stripe-python
    # raise AttributeError, which escapes: 500 for every delivery.
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET_UNSET_FOR_NONE")
    try:
        event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"error": "bad request"}, 400
    handle(event)
    return ACCEPTED, 200


def body_not_raw(payload, headers):
    # Verifies a re-serialised body: valid deliveries fail too.
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        event = stripe.Webhook.construct_event(json.dumps(json.loads(payload)), headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"error": "bad request"}, 400
    handle(event)
    return ACCEPTED, 200


SEEN_EVENTS = set()


def dedupe(payload, headers):
    # The documented pattern plus Stripe's advice on duplicates: remember
    # processed event ids, skip a duplicate and still answer 2xx.
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
    except ValueError:
        return {"error": "invalid payload"}, 400
    except stripe.error.SignatureVerificationError:
        return {"error": "invalid signature"}, 400
    if event["id"] in SEEN_EVENTS:
        return {"received": True, "duplicate": True}, 200
    SEEN_EVENTS.add(event["id"])
    handle(event)
    return ACCEPTED, 200


def dedupe_conflict(payload, headers):
    # Remembers event ids too, but answers 409 to a duplicate.
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"error": "bad request"}, 400
    if event["id"] in SEEN_EVENTS:
        return {"error": "duplicate"}, 409
    SEEN_EVENTS.add(event["id"])
    handle(event)
    return ACCEPTED, 200


def catch_all(payload, headers):
    # The fix the probe suggests: any error of verification is a 400,
    # including the TypeError stripe-python raises on a non-ASCII
    # signature; duplicates are skipped with a 2xx.
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    try:
        event = stripe.Webhook.construct_event(payload, headers.get("Stripe-Signature"), secret)
    except Exception:
        return {"error": "bad request"}, 400
    if event["id"] not in SEEN_EVENTS:
        SEEN_EVENTS.add(event["id"])
        handle(event)
    return ACCEPTED, 200


HANDLERS = {
    "dedupe": dedupe,
    "dedupe-conflict": dedupe_conflict,
    "catch-all": catch_all,
    "secret-none": secret_none,
    "body-not-raw": body_not_raw,
    "verifying": verifying,
    "non-verifying": non_verifying,
    "fail-open": fail_open,
    "header-optional": header_optional,
    "swallowing": swallowing,
    "no-tolerance": no_tolerance,
    "tolerance-none": tolerance_none,
    "empty-secret": empty_secret,
}


def sample_route(flask, secret_variable):
    """The shape of Stripe's sample servers (accept-a-payment): the body is
    parsed first; verification happens only when a secret is configured,
    and a failed verification returns the exception object, which Flask
    cannot turn into a response (500)."""

    def webhook():
        webhook_secret = os.environ.get(secret_variable)
        request_data = json.loads(flask.request.data)
        if webhook_secret:
            signature = flask.request.headers.get("stripe-signature")
            try:
                event = stripe.Webhook.construct_event(
                    payload=flask.request.data, sig_header=signature, secret=webhook_secret
                )
                data = event["data"]
            except Exception as e:
                return e
            event_type = event["type"]
        else:
            data = request_data["data"]
            event_type = request_data["type"]
        if event_type == "checkout.session.completed":
            handle({"type": event_type, "data": data})
        return flask.jsonify({"status": "success"})

    return webhook


SAMPLES = {
    # STRIPE_WEBHOOK_SECRET is set by the tests; the unset variable is the
    # sample run without a secret, as its README allows.
    "sample-no-secret": "STRIPE_WEBHOOK_SECRET_UNSET_FOR_SAMPLE",
    "sample-with-secret": "STRIPE_WEBHOOK_SECRET",
}


def run_flask(name, port):
    import flask

    app = flask.Flask(__name__)
    if name in SAMPLES:
        app.add_url_rule(PATH, "webhook", sample_route(flask, SAMPLES[name]), methods=["POST"])
    else:
        handler = HANDLERS[name]

        @app.route(PATH, methods=["POST"])
        def webhook():
            body, status = handler(flask.request.get_data(), flask.request.headers)
            return flask.jsonify(body), status

    app.run(host="127.0.0.1", port=port, threaded=True)


def run_fastapi(name, port):
    import fastapi
    import uvicorn
    from fastapi.responses import JSONResponse

    app = fastapi.FastAPI()

    if name == "verifying":

        @app.post(PATH)
        async def webhook(request: fastapi.Request):
            payload = await request.body()
            try:
                event = stripe.Webhook.construct_event(
                    payload, request.headers.get("stripe-signature"), os.environ["STRIPE_WEBHOOK_SECRET"]
                )
            except (ValueError, stripe.error.SignatureVerificationError):
                return JSONResponse({"error": "bad request"}, status_code=400)
            handle(event)
            return ACCEPTED

    elif name == "non-verifying":

        @app.post(PATH)
        async def webhook(request: fastapi.Request):
            event = json.loads(await request.body())
            handle(event)
            return ACCEPTED

    else:
        sys.exit("fastapi: unknown app %r" % name)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True, choices=sorted(list(HANDLERS) + list(SAMPLES)))
    p.add_argument("--framework", default="flask", choices=["flask", "fastapi"])
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    print("stripe", stripe.version.VERSION, file=sys.stderr)
    if a.framework == "flask":
        run_flask(a.app, a.port)
    else:
        run_fastapi(a.app, a.port)


if __name__ == "__main__":
    main()
