import json
import os

import stripe
from flask import Blueprint, Flask, abort, g, jsonify, request

from config import LEGACY_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET
from verification import WebhookVerifier, require_stripe_signature, verified_event, webhook

app = Flask(__name__)
bp = Blueprint("billing", __name__)
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
endpoint_secret = os.environ.get("STRIPE_WEBHOOK_SECRET")


def handle_event(event):
    if event["type"] == "checkout.session.completed":
        print("fulfilling", event["data"]["object"]["id"])


@app.route("/webhook", methods=["POST"])
def webhook_correct():  # expect: clean
    payload = request.get_data()
    sig_header = request.headers.get("Stripe-Signature")
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, STRIPE_WEBHOOK_SECRET)  # observe: webhook.signature-verified webhook.secret-managed webhook.replay-window webhook.raw-body webhook.fails-closed
    except (ValueError, stripe.error.SignatureVerificationError):
        return "bad request", 400
    handle_event(event)
    return jsonify(success=True)


@app.route("/webhook-unverified", methods=["POST"])
def webhook_unverified():
    event = json.loads(request.data)  # expect: webhook/unverified-payload
    handle_event(event)
    return "", 200


@app.post("/stripe/json")
def webhook_get_json():
    event = request.get_json()  # expect: webhook/unverified-payload
    if event["type"] == "invoice.paid":
        print(event["data"]["object"])
    return jsonify(ok=True)


@app.route("/stripe/construct-from", methods=["POST"])
def webhook_construct_from():
    event = stripe.Event.construct_from(request.get_json(force=True), stripe.api_key)  # expect: webhook/unverified-payload
    handle_event(event)
    return "", 200


@app.route("/quickstart", methods=["POST"])
def quickstart_webhook():
    event = None
    payload = request.data
    try:
        event = json.loads(payload)
    except json.decoder.JSONDecodeError as e:
        print("Webhook error while parsing basic request." + str(e))
        return jsonify(success=False)
    if endpoint_secret:  # expect: webhook/optional-verification
        sig_header = request.headers.get("stripe-signature")
        try:
            event = stripe.Webhook.construct_event(payload, sig_header, endpoint_secret)
        except stripe.error.SignatureVerificationError as e:  # expect: webhook/failure-answered-2xx webhook/verification-error-unhandled
            print("Webhook signature verification failed." + str(e))
            return jsonify(success=False)
    if event and event["type"] == "payment_intent.succeeded":
        print("Payment succeeded")
    return jsonify(success=True)


@app.route("/webhook-header-optional", methods=["POST"])
def webhook_header_optional():
    sig = request.headers.get("Stripe-Signature")
    if sig:  # expect: webhook/optional-verification
        event = stripe.Webhook.construct_event(request.data, sig, STRIPE_WEBHOOK_SECRET)  # expect: webhook/failure-answered-5xx
    else:
        event = request.get_json()
    handle_event(event)
    return "", 200


@app.route("/webhook-allow-unsigned", methods=["POST"])
def webhook_allow_unsigned():
    payload = request.get_data()
    if os.environ.get("ALLOW_UNSIGNED") == "1":  # expect: webhook/optional-verification
        handle_event(json.loads(payload))
        return "", 200
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    handle_event(event)
    return "", 200


@app.route("/webhook-test-events", methods=["POST"])
def webhook_test_events():
    payload = request.get_data()
    data = json.loads(payload)
    if data["id"].startswith("evt_test_"):  # expect: webhook/optional-verification
        return handle_event(data)
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(event)
    return "", 200


@app.route("/webhook-debug-expr", methods=["POST"])
def webhook_debug_expression():
    payload = request.get_data()
    sig = request.headers.get("Stripe-Signature")
    event = json.loads(payload) if app.debug else stripe.Webhook.construct_event(payload, sig, STRIPE_WEBHOOK_SECRET)  # expect: webhook/optional-verification webhook/failure-answered-5xx
    handle_event(event)
    return "", 200


@app.route("/webhook-swallowed", methods=["POST"])
def webhook_swallowed():
    payload = request.get_data()
    sig = request.headers.get("Stripe-Signature")
    try:
        stripe.Webhook.construct_event(payload, sig, STRIPE_WEBHOOK_SECRET)
    except Exception as exc:  # expect: webhook/swallowed-verification-error
        app.logger.warning("signature check failed: %s", exc)
    event = json.loads(payload)
    handle_event(event)
    return "", 200


@app.route("/webhook-fallback", methods=["POST"])
def webhook_fallback():
    payload = request.get_data()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):  # expect: webhook/swallowed-verification-error
        event = json.loads(payload)
    handle_event(event)
    return "", 200


@app.route("/webhook-checked-none", methods=["POST"])
def webhook_checked_none():  # expect: clean
    event = None
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError) as exc:
        app.logger.warning("bad webhook: %s", exc)
    if event is None:
        return "", 400
    handle_event(event)
    return "", 200


@app.route("/webhook-logs-200", methods=["POST"])
def webhook_logs_200():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
        handle_event(event)
    except (ValueError, stripe.error.SignatureVerificationError):  # expect: webhook/failure-answered-2xx
        app.logger.info("bad signature")
    return "", 200


@app.route("/webhook-legacy-secret", methods=["POST"])
def webhook_legacy_secret():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), LEGACY_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(event)
    return "", 200


@app.route("/webhook-api-key-secret", methods=["POST"])
def webhook_api_key_secret():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), stripe.api_key)  # expect: webhook/wrong-secret-kind
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(event)
    return "", 200


@app.route("/webhook-env-secret-key", methods=["POST"])
def webhook_env_secret_key():
    secret = os.environ["STRIPE_SECRET_KEY"]  # expect: webhook/wrong-secret-kind
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(event)
    return "", 200


@app.route("/webhook-secret-header", methods=["POST"])
def webhook_secret_from_header():
    secret = request.headers.get("X-Webhook-Secret")  # expect: webhook/secret-from-request
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(event)
    return "", 200


@app.route("/webhook-no-tolerance", methods=["POST"])
def webhook_no_tolerance():
    try:
        event = stripe.Webhook.construct_event(
            request.data,
            request.headers.get("Stripe-Signature"),
            STRIPE_WEBHOOK_SECRET,
            tolerance=None,  # expect: webhook/replay-window-disabled
        )
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(event)
    return "", 200


@app.route("/webhook-verify-header", methods=["POST"])
def webhook_verify_header():
    payload = request.get_data(as_text=True)
    try:
        stripe.WebhookSignature.verify_header(payload, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)  # expect: webhook/replay-window-disabled
    except stripe.error.SignatureVerificationError:
        abort(400)
    handle_event(json.loads(payload))
    return "", 200


@app.route("/webhook-dumps", methods=["POST"])
def webhook_dumps():
    sig = request.headers["Stripe-Signature"]  # expect: webhook/signature-header-no-default
    try:
        event = stripe.Webhook.construct_event(json.dumps(request.json), sig, STRIPE_WEBHOOK_SECRET)  # expect: webhook/body-not-raw
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(event)
    return "", 200


@app.route("/webhook-decorated", methods=["POST"])
@require_stripe_signature
def webhook_decorated():  # expect: clean  # observe: webhook.signature-verified
    handle_event(g.stripe_event)
    return "", 200


@require_stripe_signature
@app.route("/webhook-wrong-order", methods=["POST"])
def webhook_wrong_order():
    event = request.get_json()  # expect: webhook/unverified-payload
    handle_event(event)
    return "", 200


@app.route("/webhook-helper", methods=["POST"])
def webhook_helper():  # expect: clean
    try:
        event = verified_event(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    handle_event(event)
    return "", 200


verifier = WebhookVerifier(STRIPE_WEBHOOK_SECRET)


@app.route("/webhook-service", methods=["POST"])
def webhook_service():  # expect: clean
    payload = request.get_data(as_text=True)
    try:
        verifier.check(payload, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle_event(json.loads(payload))
    return "", 200


@app.route("/webhook-commented", methods=["POST"])
def webhook_commented():
    # event = stripe.Webhook.construct_event(request.data, sig, STRIPE_WEBHOOK_SECRET)
    event = json.loads(request.data)  # expect: webhook/unverified-payload
    handle_event(event)
    return "", 200


@app.route("/webhook-dead-code", methods=["POST"])
def webhook_dead_code():
    event = json.loads(request.data)  # expect: webhook/unverified-payload
    handle_event(event)
    return "", 200
    stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)


@app.route("/webhook-refetch", methods=["POST"])
def webhook_refetch():
    payload = json.loads(request.data)  # expect: webhook/refetch-unverified
    event = stripe.Event.retrieve(payload["id"])
    handle_event(event)
    return "", 200


@app.route("/webhook-refetch-reread", methods=["POST"])
def webhook_refetch_reread():
    payload = request.get_json()  # expect: webhook/unverified-payload
    event = stripe.Event.retrieve(payload["id"])
    if event.type == "invoice.paid":
        print(payload["data"]["object"]["amount_paid"])
    return "", 200


@bp.route("/bp/webhook", methods=["POST"])
def blueprint_webhook():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return jsonify(error="bad signature"), 400
    handle_event(event)
    return jsonify(received=True), 200


def legacy_hook():
    event = json.loads(request.get_data())  # expect: webhook/unverified-payload
    handle_event(event)
    return "", 200


app.add_url_rule("/legacy-hook", view_func=legacy_hook, methods=["POST"])


@app.route("/orders", methods=["POST"])
def create_order():  # expect: clean
    order = request.get_json()
    return jsonify(id=order["id"]), 201


@app.route("/webhook-named-decorator", methods=["POST"])
@webhook
def webhook_named_decorator():  # expect: clean
    handle_event(request.get_json())
    return "", 200
