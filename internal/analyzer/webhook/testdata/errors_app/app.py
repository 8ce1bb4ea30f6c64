"""What a failed verification is answered with."""
import functools
import os

import stripe
from flask import Flask, abort, jsonify, request
from werkzeug.exceptions import BadRequest

app = Flask(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "checkout.session.completed":
        print("ship", event["data"]["object"]["id"])


@app.route("/stripe/no-try", methods=["POST"])
def no_try():
    event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)  # expect: webhook/failure-answered-5xx
    fulfil(event)
    return "", 200


@app.route("/stripe/with-try", methods=["POST"])
def with_try():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)  # observe: webhook.fails-closed
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    fulfil(event)
    return "", 200


@app.route("/stripe/sample-server", methods=["POST"])
def sample_server():
    payload = request.data
    sig_header = request.headers["STRIPE_SIGNATURE"]  # expect: webhook/signature-header-no-default
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, SECRET)
    except ValueError as e:
        raise e
    except stripe.error.SignatureVerificationError as e:
        raise e  # expect: webhook/failure-answered-5xx
    fulfil(event)
    return jsonify(success=True)


@app.route("/stripe/return-exception", methods=["POST"])
def return_exception():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)
    except Exception as e:
        return e  # expect: webhook/failure-answered-5xx
    fulfil(event)
    return "", 200


@app.route("/stripe/return-message", methods=["POST"])
def return_message():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)
    except Exception as e:
        return str(e), 400
    fulfil(event)
    return "", 200


@app.route("/stripe/raise-runtime", methods=["POST"])
def raise_runtime():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError) as exc:
        raise RuntimeError("bad webhook") from exc  # expect: webhook/failure-answered-5xx
    fulfil(event)
    return "", 200


@app.route("/stripe/raise-bad-request", methods=["POST"])
def raise_bad_request():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise BadRequest("bad signature")
    fulfil(event)
    return "", 200


def verify(req):
    return stripe.Webhook.construct_event(req.get_data(), req.headers.get("Stripe-Signature"), SECRET)


@app.route("/stripe/helper-uncaught", methods=["POST"])
def helper_uncaught():
    event = verify(request)  # expect: webhook/failure-answered-5xx
    fulfil(event)
    return "", 200


@app.route("/stripe/helper-caught", methods=["POST"])
def helper_caught():  # expect: clean
    try:
        event = verify(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    fulfil(event)
    return "", 200


def checked_event(req):
    """Returns None instead of raising."""
    try:
        return stripe.Webhook.construct_event(req.get_data(), req.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return None


@app.route("/stripe/helper-returns-none", methods=["POST"])
def helper_returns_none():  # expect: clean
    event = checked_event(request)
    if event is None:
        return "", 400
    fulfil(event)
    return "", 200


def require_signature(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)  # expect: webhook/failure-answered-5xx
        return view(*args, **kwargs)

    return wrapper


def require_signature_400(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):  # expect: clean
        try:
            stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)
        return view(*args, **kwargs)

    return wrapper


def require_signature_lenient(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
        except stripe.error.SignatureVerificationError:  # expect: webhook/swallowed-verification-error webhook/verification-error-unhandled
            app.logger.warning("unsigned delivery")
        return view(*args, **kwargs)

    return wrapper


@app.route("/stripe/decorated-500", methods=["POST"])
@require_signature
def decorated_500():
    fulfil(request.get_json())
    return "", 200


@app.route("/stripe/decorated-400", methods=["POST"])
@require_signature_400
def decorated_400():  # expect: clean
    fulfil(request.get_json())
    return "", 200


@app.route("/stripe/decorated-lenient", methods=["POST"])
@require_signature_lenient
def decorated_lenient():
    fulfil(request.get_json())
    return "", 200
