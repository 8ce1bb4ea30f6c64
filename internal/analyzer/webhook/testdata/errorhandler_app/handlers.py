import stripe


def register_handlers(app):
    @app.errorhandler(stripe.error.SignatureVerificationError)
    def bad_signature(exc):
        return {"error": "invalid signature"}, 400

    @app.errorhandler(ValueError)
    def bad_payload(exc):
        return {"error": "invalid payload"}, 400
