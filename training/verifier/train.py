"""Train a cross-encoder duplicate-question verifier on the train slice.

  python training/verifier/train.py --out .reflex/verifier-run [--pairs N] [--epochs E]
  python training/verifier/train.py --bench 30        # throughput only
  python training/verifier/train.py --base mpnet-base --device cuda --bf16 --batch-size 64 \\
      --epochs 3 --tune-eval --data /path/qqp-dev.jsonl.gz --out RUN    # the GPU run (README)

Model: a sequence classifier with one logit (p = sigmoid) on top of --base
(default minilm-l6, the shipped model's: BertForSequenceClassification from
all-MiniLM-L6-v2, see base.py); input is the tokenizer's pair template
("[CLS] a [SEP] b [SEP]" for BERT, "<s> a </s></s> b </s>" for MPNet).
Train slice: every line of the data file in neither tune nor eval of
splits.json. Loss: BCE with logits. Each example's question order is swapped
at random (seeded, per epoch), so the model sees both orders. Batches are
built from length-sorted chunks (dynamic padding). Checkpoints every
--ckpt-every steps; rerunning the same command resumes from the last one.
The defaults are the shipped run's (CPU, fp32): the same command gives the same
training as before --device/--bf16/--base existed.
"""
import argparse
import contextlib
import datetime
import json
import math
import os
import pathlib
import random
import time

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

import base
from common import DATA, REPO, SPLITS, auc, best_precision_at_recall, choose, load_split_rows, prf, sigmoid


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(REPO / ".reflex" / "verifier-run"))
    p.add_argument("--base", default="minilm-l6", help="a name in base.py's BASES, or a model folder")
    p.add_argument("--data", default=str(DATA))
    p.add_argument("--splits", default=str(SPLITS))
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--bf16", action="store_true", help="bf16 autocast for forward and loss (fp32 weights and optimizer)")
    p.add_argument("--compile", action="store_true", help="torch.compile the forward (off: the lengths vary per batch)")
    p.add_argument("--layers", type=int, default=0, help="keep only the first N encoder layers (0 = all)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--pairs", type=int, default=0, help="train pairs to use (0 = all), seeded sample")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch", "--batch-size", dest="batch", type=int, default=32)
    p.add_argument("--max-steps", type=int, default=0, help="stop (and end the LR schedule) after this many steps")
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=4e-5)
    p.add_argument("--warmup", type=float, default=0.06)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--chunk", type=int, default=50, help="batches per length-sorted chunk")
    p.add_argument("--ckpt-every", type=int, default=200)
    p.add_argument("--bench", type=int, default=0, help="time this many steps and exit")
    p.add_argument("--tune-eval", action="store_true",
                   help="score the tune slice at the end (torch) -> tune_metrics.json, for choosing hyper-parameters")
    p.add_argument("--tune-pairs", type=int, default=0, help="with --tune-eval: first N tune pairs only (0 = all)")
    p.add_argument("--deadline", default="",
                   help="UTC 'YYYY-MM-DDTHH:MM': from (re)start on, decay the LR linearly in wall-clock "
                        "time from its current value to 0 at the deadline, and stop there")
    p.add_argument("--lr-trace", default="",
                   help="replay: use the per-step LRs in this file (lr_trace.json of a run) and stop at its end")
    return p.parse_args()


def pick_device(name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def build_model(base_dir, layers=0):
    # dtype pinned: transformers 5 would otherwise keep a bf16 checkpoint (the packed GPU base) in bf16
    model = AutoModelForSequenceClassification.from_pretrained(
        base_dir, num_labels=1, problem_type="multi_label_classification",
        id2label={0: "duplicate"}, label2id={"duplicate": 0}, dtype=torch.float32)
    if layers:
        enc = model.base_model.encoder
        enc.layer = enc.layer[:layers]
        model.config.num_hidden_layers = layers
    model.config.architectures = [type(model).__name__]
    return model


def epoch_batches(n_examples, epoch, args, lengths):
    """Deterministic batch list for one epoch: shuffle, cut into chunks of
    `chunk` batches, sort each chunk by length, shuffle the batches."""
    rng = random.Random(args.seed * 1000 + epoch)
    order = list(range(n_examples))
    rng.shuffle(order)
    size = args.batch * args.chunk
    batches = []
    for s in range(0, len(order), size):
        chunk = sorted(order[s:s + size], key=lambda i: lengths[i])
        batches += [chunk[j:j + args.batch] for j in range(0, len(chunk), args.batch)]
    rng.shuffle(batches)
    swaps = [rng.random() < 0.5 for _ in range(n_examples)]
    return batches, swaps


def autocast(device, on):
    return torch.autocast(device.type, dtype=torch.bfloat16) if on else contextlib.nullcontext()


def optimizer(model, args):
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
         "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=args.lr)


def resume(state, model, opt, sched, total):
    """Restore a checkpoint; returns (step, anchor, lr_log)."""
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    sched.load_state_dict(state["sched"])
    # map_location moved the RNG states to the device; the setters take CPU byte tensors
    torch.set_rng_state(state["torch_rng"].cpu())
    if state.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([t.cpu() for t in state["cuda_rng"]])
    step = state["step"]
    if "lr_log" in state:
        return step, state.get("anchor"), state["lr_log"]
    # checkpoint from before LR logging: rebuild from the step schedule it used
    lr_log = []
    o = torch.optim.SGD([torch.zeros(1)], lr=state["args"]["lr"])
    sch = get_linear_schedule_with_warmup(o, int(state["args"]["warmup"] * total), total)
    for _ in range(step):
        lr_log.append(sch.get_last_lr()[0])
        o.step()
        sch.step()
    return step, state.get("anchor"), lr_log


@torch.no_grad()
def tune_metrics(model, tok, rows, idx, device, bf16, max_length=512, batch=256):
    """Tune-slice scores of the torch model, for choosing hyper-parameters
    (the eval slice is never read here). max_length 512 as evaluate.py."""
    model.eval()
    a, b = [rows[i]["a"] for i in idx], [rows[i]["b"] for i in idx]
    lens = [len(x) for x in tok(a, b, truncation="longest_first", max_length=max_length)["input_ids"]]
    order = sorted(range(len(idx)), key=lambda i: lens[i])
    z = np.zeros(len(idx))
    for s in range(0, len(order), batch):
        ii = order[s:s + batch]
        enc = tok([a[i] for i in ii], [b[i] for i in ii], truncation="longest_first",
                  max_length=max_length, padding=True, return_tensors="pt").to(device)
        with autocast(device, bf16):
            z[ii] = model(**enc).logits[:, 0].float().cpu().numpy()
    p, y = sigmoid(z), np.array([rows[i]["label"] for i in idx])
    t = choose(p, y)
    model.train()
    return {"pairs": len(idx), "auc": auc(p, y), "chosen_threshold": t,
            "at_chosen_threshold": prf(p, y, t) if t is not None else None,
            "best_precision_at_recall_0.5": best_precision_at_recall(p, y, 0.5)}


def train_slice(rows, splits, tok, args, device):
    """The train pairs (a seeded sample with --pairs), their two sides, labels and token lengths."""
    train = [rows[i] for i in splits["train"]]
    if args.pairs and args.pairs < len(train):
        train = random.Random(args.seed).sample(train, args.pairs)
    a = [r["a"] for r in train]
    b = [r["b"] for r in train]
    y = torch.tensor([float(r["label"]) for r in train], device=device)
    lengths = [len(x) for x in tok(a, b, truncation="longest_first", max_length=args.max_length)["input_ids"]]
    return train, a, b, y, lengths


def main():
    args = parse()
    device = pick_device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    base_dir = base.resolve(args.base)
    tok = AutoTokenizer.from_pretrained(base_dir)
    rows, splits = load_split_rows(args.data, args.splits)
    train, a, b, y, lengths = train_slice(rows, splits, tok, args, device)

    steps_per_epoch = sum(1 for _ in range(0, len(train), args.batch))
    total = int(math.ceil(steps_per_epoch * args.epochs))
    if args.bench:
        total = args.bench
    if args.max_steps:
        total = min(total, args.max_steps)
    trace = json.loads(pathlib.Path(args.lr_trace).read_text())["lr"] if args.lr_trace else None
    if trace:
        total = len(trace)
    deadline = (datetime.datetime.fromisoformat(args.deadline).replace(tzinfo=datetime.timezone.utc).timestamp()
                if args.deadline else None)
    print(f"device {device}{' bf16' if args.bf16 else ''}, base {base_dir}, "
          f"train pairs {len(train)} (positives {int(y.sum())}), steps/epoch {steps_per_epoch}, "
          f"total steps {total}, mean tokens {np.mean(lengths):.1f}, "
          f"truncated {sum(l >= args.max_length for l in lengths)}", flush=True)

    model = build_model(base_dir, args.layers).to(device)
    forward = torch.compile(model) if args.compile else model
    opt = optimizer(model, args)
    sched = get_linear_schedule_with_warmup(opt, int(args.warmup * total), total)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    step = 0
    lr_log = []  # the LR used at every optimizer step
    anchor = None  # (wall time, lr) where the deadline decay started
    ckpt = out / "checkpoint.pt"
    if ckpt.exists() and not args.bench:
        step, anchor, lr_log = resume(torch.load(ckpt, weights_only=False, map_location=device),
                                      model, opt, sched, total)
        print(f"resumed at step {step}", flush=True)

    def save_ckpt():
        tmp = out / "checkpoint.pt.tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "step": step,
                    "torch_rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
                    "args": vars(args), "anchor": anchor, "lr_log": lr_log}, tmp)
        os.replace(tmp, ckpt)

    model.train()
    t0 = time.time()
    done_at_start = step
    warm = None  # (time, step, CPU time) after the first few steps: warm-up stays out of the bench rate
    running = []
    epoch = step // steps_per_epoch
    while step < total:
        batches, swaps = epoch_batches(len(train), epoch, args, lengths)
        for bi in range(step - epoch * steps_per_epoch, len(batches)):
            if step >= total:
                break
            if trace:
                lr_now = trace[step]
            elif deadline:
                now = time.time()
                if anchor is None:
                    anchor = (now, sched.get_last_lr()[0])
                if now >= deadline:
                    print(f"deadline reached at step {step}", flush=True)
                    total = step
                    break
                lr_now = anchor[1] * (deadline - now) / (deadline - anchor[0])
            else:
                lr_now = sched.get_last_lr()[0]
            for g in opt.param_groups:
                g["lr"] = lr_now
            idx = batches[bi]
            qa = [b[i] if swaps[i] else a[i] for i in idx]
            qb = [a[i] if swaps[i] else b[i] for i in idx]
            enc = tok(qa, qb, truncation="longest_first", max_length=args.max_length,
                      padding=True, return_tensors="pt").to(device)
            with autocast(device, args.bf16):
                logits = forward(**enc).logits.squeeze(-1)
                loss = loss_fn(logits.float(), y[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            lr_log.append(lr_now)
            step += 1
            running.append(loss.detach())  # no .item() per step: that would wait for the GPU every step
            if step - done_at_start == min(5, total // 5):
                if device.type == "cuda":
                    torch.cuda.synchronize()
                warm = (time.time(), step, time.process_time())
            if step % 50 == 0 or step == total:
                el = time.time() - t0
                rate = (step - done_at_start) / el
                print(f"step {step}/{total} epoch {epoch} loss {torch.stack(running[-50:]).mean().item():.4f} "
                      f"lr {lr_now:.2e} {rate:.2f} steps/s "
                      f"eta {(total - step) / rate / 60:.1f} min", flush=True)
                running = running[-50:]
            if not args.bench and step % args.ckpt_every == 0:
                save_ckpt()
        epoch += 1

    if device.type == "cuda":
        torch.cuda.synchronize()
    el = time.time() - t0
    steady = ""
    if warm and step > warm[1]:
        # CPU seconds per step (all threads) hold up better than steps/s on cores shared with other work
        steady = (f", {(step - warm[1]) / (time.time() - warm[0]):.2f} steps/s after step {warm[1]}, "
                  f"{(time.process_time() - warm[2]) / (step - warm[1]):.2f} CPU s/step")
    print(f"done {step - done_at_start} steps in {el:.0f} s "
          f"({(step - done_at_start) / el:.2f} steps/s{steady})", flush=True)
    if args.bench:
        return
    save_ckpt()
    (out / "lr_trace.json").write_text(json.dumps({"steps": len(lr_log), "lr": lr_log}) + "\n")
    final = out / "final"
    model.save_pretrained(final, safe_serialization=True)
    tok.save_pretrained(final)
    (out / "train_meta.json").write_text(json.dumps({
        "args": vars(args), "base": str(base_dir), "device": str(device), "train_pairs": len(train), "steps": step,
        "pairs_seen": sum(len(b) for b in epoch_batches(len(train), 0, args, lengths)[0][:step]) if step <= steps_per_epoch else None,
        "seconds_this_run": round(el), "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name() if device.type == "cuda" else None,
        "threads": args.threads}, indent=1) + "\n")
    print(f"saved {final}", flush=True)
    if args.tune_eval:
        idx = splits["tune"][:args.tune_pairs or None]
        m = tune_metrics(model, tok, rows, idx, device, args.bf16)
        (out / "tune_metrics.json").write_text(json.dumps({"args": vars(args), **m}, indent=1) + "\n")
        print("tune", json.dumps(m), flush=True)


if __name__ == "__main__":
    main()
