import json

import stripe
from flask import Flask, request

app = Flask(__name__)


class Half(
    def nothing(self):
        pass


@app.route("/broken/webhook", methods=["POST"])
def broken_webhook():
    event = json.loads(request.data)  # expect: webhook/unverified-payload
    print(event["type"])
    return "", 200
