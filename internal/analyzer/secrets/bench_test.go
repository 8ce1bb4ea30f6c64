package secrets

import (
	"context"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// pyChunk is ordinary Stripe-integration Python, dense in the "k_" anchor
// (task_, mock_, check_, block_, lock_, stack_) and in quotes, which is
// what the prefilter has to wade through.
const pyChunk = `import os
import stripe
from unittest import mock


def check_payment(task_id, block_size=1024):
    """Check the payment for a task; lock_timeout guards the stack_depth."""
    lock_timeout = float(os.environ.get("LOCK_TIMEOUT", "3.5"))
    with mock.patch("app.tasks.check_status") as mock_check:
        mock_check.return_value = {"status": "ok", "task_key": task_id}
        intent = stripe.PaymentIntent.create(amount=block_size, currency="usd",
                                             metadata={"task": task_id, "kind": "task_run"})
    if intent["status"] != "succeeded":
        raise RuntimeError("payment %s failed: %s" % (intent["id"], intent["last_payment_error"]))
    return {"id": intent["id"], "amount": intent["amount"], 'callback_url': 'https://example.test/cb'}


class WebhookHandler:
    stack_limit = 16

    def handle(self, event):
        if event["type"] == "checkout.session.completed":
            self.fulfil(event["data"]["object"])  # track_order
        return "", 200

`

const jsonChunk = `{"id": "evt_1NXk2Q", "object": "event", "type": "invoice.paid", "data": {"object": {"id": "in_1NXk2Q", "customer": "cus_Ok_123", "lines": {"data": [{"amount": 2000, "currency": "usd", "description": "task_block check_k_"}]}, "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_YWNjdF8x", "status": "paid"}}, "livemode": false},
`

func corpus(chunk string, size int, keys ...string) []byte {
	var sb strings.Builder
	i := 0
	for sb.Len() < size {
		sb.WriteString(chunk)
		if i < len(keys) && sb.Len() > (i+1)*size/(len(keys)+1) {
			sb.WriteString("KEY_" + string(rune('A'+i)) + " = \"" + keys[i] + "\"\n")
			i++
		}
	}
	return []byte(sb.String())
}

var benchKeys = []string{secretstest.Key(skLive, 99, 1), secretstest.Key(rkTest, 24, 2), whsec + secretstest.Body(32, 3)}

func benchScan(b *testing.B, data []byte, python bool, want int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if n := len(Scan(data, python)); n != want {
			b.Fatalf("got %d matches, want %d", n, want)
		}
	}
}

func BenchmarkScanPython1MB(b *testing.B) {
	benchScan(b, corpus(pyChunk, 1<<20, benchKeys...), true, 3)
}

func BenchmarkScanJSON1MB(b *testing.B) {
	benchScan(b, corpus(jsonChunk, 1<<20, benchKeys...), false, 3)
}

func BenchmarkScanNoKeys1MB(b *testing.B) {
	benchScan(b, corpus(pyChunk, 1<<20), true, 0)
}

// BenchmarkAnalyzerFile is the whole per-file path: classification,
// scanning, findings and the environment-reference observation.
func BenchmarkAnalyzerFile(b *testing.B) {
	for _, tc := range []struct {
		rel   string
		chunk string
	}{{"app/payments.py", pyChunk}, {"data/events.json", jsonChunk}} {
		data := corpus(tc.chunk, 1<<20, benchKeys...)
		b.Run(tc.rel, func(b *testing.B) {
			a := New(analyzer.Options{})
			f := &source.File{Rel: tc.rel, Data: data}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c := &finding.Collector{}
				a.File(context.Background(), f, c)
				if len(c.Findings) != 3 {
					b.Fatalf("got %d findings", len(c.Findings))
				}
			}
		})
	}
}

func BenchmarkNotebookSpans(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"cells": [`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "stream", "text": ["` + strings.Repeat("x = 1\\n", 50) + `"]}], "source": ["import stripe\n", "print(1)\n"]}`)
	}
	sb.WriteString(`], "nbformat": 4}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if s, err := notebookSpans(data); err != nil || len(s) != 400 {
			b.Fatalf("spans %d err %v", len(s), err)
		}
	}
}

func BenchmarkPlaceholderReason(b *testing.B) {
	body := secretstest.Body(99, 7)
	for i := 0; i < b.N; i++ {
		if placeholderReason(body) != "" {
			b.Fatal("random body judged placeholder")
		}
	}
}
