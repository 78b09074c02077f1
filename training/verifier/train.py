"""Train a cross-encoder duplicate-question verifier on the train slice.

  python training/verifier/train.py --out .reflex/verifier-run [--pairs N] [--epochs E]
  python training/verifier/train.py --bench 30        # throughput only

Model: BertForSequenceClassification (num_labels=1, one logit; p = sigmoid)
initialised from all-MiniLM-L6-v2 (see base.py); input "[CLS] a [SEP] b [SEP]".
Loss: BCE with logits. Each example's question order is swapped at random
(seeded, per epoch), so the model sees both orders. Batches are built from
length-sorted chunks (dynamic padding). Checkpoints every --ckpt-every steps;
rerunning the same command resumes from the last one.
"""
import argparse
import datetime
import json
import math
import os
import pathlib
import random
import time

import numpy as np
import torch
from transformers import (BertForSequenceClassification, BertTokenizerFast,
                          get_linear_schedule_with_warmup)

import base
from common import DATA, REPO, assign_slices, load_jsonl


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(REPO / ".reflex" / "verifier-run"))
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--pairs", type=int, default=0, help="train pairs to use (0 = all), seeded sample")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=4e-5)
    p.add_argument("--warmup", type=float, default=0.06)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--chunk", type=int, default=50, help="batches per length-sorted chunk")
    p.add_argument("--ckpt-every", type=int, default=200)
    p.add_argument("--bench", type=int, default=0, help="time this many steps and exit")
    p.add_argument("--deadline", default="",
                   help="UTC 'YYYY-MM-DDTHH:MM': from (re)start on, decay the LR linearly in wall-clock "
                        "time from its current value to 0 at the deadline, and stop there")
    p.add_argument("--lr-trace", default="",
                   help="replay: use the per-step LRs in this file (lr_trace.json of a run) and stop at its end")
    return p.parse_args()


def build_model(base_dir):
    model = BertForSequenceClassification.from_pretrained(
        base_dir, num_labels=1, problem_type="multi_label_classification",
        id2label={0: "duplicate"}, label2id={"duplicate": 0})
    model.config.architectures = ["BertForSequenceClassification"]
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


def main():
    args = parse()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    base_dir = base.fetch()
    tok = BertTokenizerFast.from_pretrained(base_dir)
    rows = load_jsonl(DATA)
    slices = assign_slices(rows)
    train = [r for r, s in zip(rows, slices) if s == "train"]
    if args.pairs and args.pairs < len(train):
        train = random.Random(args.seed).sample(train, args.pairs)
    a = [r["a"] for r in train]
    b = [r["b"] for r in train]
    y = torch.tensor([float(r["label"]) for r in train])
    lengths = [len(x) for x in tok(a, b, truncation="longest_first", max_length=args.max_length)["input_ids"]]

    steps_per_epoch = sum(1 for _ in range(0, len(train), args.batch))
    total = int(math.ceil(steps_per_epoch * args.epochs))
    if args.bench:
        total = args.bench
    trace = json.loads(pathlib.Path(args.lr_trace).read_text())["lr"] if args.lr_trace else None
    if trace:
        total = len(trace)
    deadline = (datetime.datetime.fromisoformat(args.deadline).replace(tzinfo=datetime.timezone.utc).timestamp()
                if args.deadline else None)
    print(f"train pairs {len(train)} (positives {int(y.sum())}), steps/epoch {steps_per_epoch}, "
          f"total steps {total}, mean tokens {np.mean(lengths):.1f}, "
          f"truncated {sum(l >= args.max_length for l in lengths)}", flush=True)

    model = build_model(base_dir)
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
         "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=args.lr)
    sched = get_linear_schedule_with_warmup(opt, int(args.warmup * total), total)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    step = 0
    lr_log = []  # the LR used at every optimizer step
    anchor = None  # (wall time, lr) where the deadline decay started
    ckpt = out / "checkpoint.pt"
    if ckpt.exists() and not args.bench:
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step = state["step"]
        torch.set_rng_state(state["torch_rng"])
        anchor = state.get("anchor")
        if "lr_log" in state:
            lr_log = state["lr_log"]
        else:  # checkpoint from before LR logging: rebuild from the step schedule it used
            o = torch.optim.SGD([torch.zeros(1)], lr=state["args"]["lr"])
            sch = get_linear_schedule_with_warmup(o, int(state["args"]["warmup"] * total), total)
            for _ in range(step):
                lr_log.append(sch.get_last_lr()[0])
                o.step()
                sch.step()
        print(f"resumed at step {step}", flush=True)

    def save_ckpt():
        tmp = out / "checkpoint.pt.tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "step": step,
                    "torch_rng": torch.get_rng_state(), "args": vars(args),
                    "anchor": anchor, "lr_log": lr_log}, tmp)
        os.replace(tmp, ckpt)

    model.train()
    t0 = time.time()
    done_at_start = step
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
                      padding=True, return_tensors="pt")
            logits = model(**enc).logits.squeeze(-1)
            loss = loss_fn(logits, y[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            lr_log.append(lr_now)
            step += 1
            running.append(loss.item())
            if step % 50 == 0 or step == total:
                el = time.time() - t0
                rate = (step - done_at_start) / el
                print(f"step {step}/{total} epoch {epoch} loss {np.mean(running[-50:]):.4f} "
                      f"lr {lr_now:.2e} {rate:.2f} steps/s "
                      f"eta {(total - step) / rate / 60:.1f} min", flush=True)
            if not args.bench and step % args.ckpt_every == 0:
                save_ckpt()
        epoch += 1

    el = time.time() - t0
    print(f"done {step - done_at_start} steps in {el:.0f} s "
          f"({(step - done_at_start) / el:.2f} steps/s)", flush=True)
    if args.bench:
        return
    save_ckpt()
    (out / "lr_trace.json").write_text(json.dumps({"steps": len(lr_log), "lr": lr_log}) + "\n")
    final = out / "final"
    model.save_pretrained(final, safe_serialization=True)
    tok.save_pretrained(final)
    (out / "train_meta.json").write_text(json.dumps({
        "args": vars(args), "train_pairs": len(train), "steps": step,
        "pairs_seen": sum(len(b) for b in epoch_batches(len(train), 0, args, lengths)[0][:step]) if step <= steps_per_epoch else None,
        "seconds_this_run": round(el), "torch": torch.__version__,
        "threads": args.threads}, indent=1) + "\n")
    print(f"saved {final}", flush=True)


if __name__ == "__main__":
    main()
