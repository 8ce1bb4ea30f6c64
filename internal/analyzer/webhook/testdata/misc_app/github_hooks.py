"""GitHub's webhooks, not Stripe's: out of scope for this analyzer."""
import json

from flask import Flask, request

app = Flask(__name__)


@app.route("/hooks/github", methods=["POST"])
def github_webhook():  # expect: clean
    payload = json.loads(request.data)
    if payload.get("action") == "opened":
        print(payload["pull_request"]["url"])
    return "", 204
