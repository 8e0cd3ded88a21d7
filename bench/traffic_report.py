"""The Markdown section of the traffic scenarios (distinct patients, non-BZRA orders, select then sign)."""

from __future__ import annotations

from typing import Any

from bench.targets import cpu_ratio as cpu_ratio_value
from bench.targets import pair_ratios, ratio, sign_after_selects
from bench.traffic_runs import LABELS


def _ms(value: float | None) -> str:
    return "—" if value is None else (f"{value:.1f}" if value >= 10 else f"{value:.2f}")


def _other(run: dict[str, Any], limit: float) -> str:
    other = run.get("cpu", {}).get("other_cpus")
    return "—" if other is None else f"{other:.2f}" + (" †" if other > limit else "")


def cpu_ratio(service: dict[str, Any], baseline: dict[str, Any]) -> str:
    value = cpu_ratio_value(service, baseline)
    return "—" if value != value else f"{value:.3f}"


def markdown(results: dict[str, Any], disturbed_limit: float) -> list[str]:
    b, s = results["baseline"]["traffic"], results["service"]["traffic"]
    info = results["traffic"]
    pop, seq_pop = info["population"], info["sequence_population"]
    sizes = pop["medication_resources"]
    lines = [
        "## Traffic as an EHR sends it: distinct patients",
        "",
        f"{pop['patients']} generated patients (`bench/population.py`, seed {info['seed']}): "
        f"{sizes['min']}–{sizes['max']} medication resources, median {sizes['median']}, "
        f"{sizes['share_20_to_40'] * 100:.0f} % with 20–40; {pop['on_a_bzra']} on a BZRA ({pop['on_two_bzras']} on two); "
        f"{pop['bzra_orders']} different BZRA orders and {pop['non_bzra_orders']} different non-BZRA orders. "
        f"The select-then-sign scenario uses {seq_pop['patients']} other patients of the same population, "
        f"{seq_pop['selects_per_sign']} order-selects per sign on average. wrk goes through the bodies in order; "
        "each pass gives every patient a new id, so no patient is sent twice in a run (the selects and the "
        "sign of one sequence share theirs). The baseline parses the same bodies with the same wrk settings. "
        "Each traffic ran on the baseline, then on the service, three times over; the table shows the pair "
        "whose ratio is the median (every pair's ratio in the last column).",
        "",
        "*Ratio* is the service's throughput over the baseline's; *CPU ratio* the baseline's CPU time per call "
        "over the service's. On one core the two agree; when other processes took the CPUs during a run "
        "(†), the throughput ratio says more about the share each server got, and the targets judge the CPU ratio.",
        "",
        "| Traffic | bodies | baseline req/s | service req/s | ratio | CPU ratio | service p50 | p99 | CPU/call | errors | other CPU (b / s) | every pair's ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in ("bzra", "non_bzra", "select_sign", "signs"):
        rs, rb = s[kind], b[kind]
        lines.append(
            f"| {LABELS[kind]} | {rs['distinct_bodies']} | {rb['rps']:.0f} | {rs['rps']:.0f} | {ratio(rs, rb):.3f} | "
            f"{cpu_ratio(rs, rb)} | "
            f"{_ms(rs['p50_ms'])} | {_ms(rs['p99_ms'])} | {_ms(rs.get('server_cpu_ms_per_call'))} | {rs['errors']} | "
            f"{_other(rb, disturbed_limit)} / {_other(rs, disturbed_limit)} | "
            f"{pair_ratios(rs) or '—'} |")
    sign = sign_after_selects(s, b)
    half = s["half_own_capacity"]
    checks = results["service"].get("traffic_checks", {})
    lines += [
        "",
        f"**The sign after its selects** ({s['signs']['generator']}; the server idle between the phases, "
        f"every round with new patient ids): {sign['sign_cpu_ms']:.2f} ms of CPU a sign against "
        f"{sign['bare_sign_cpu_ms']:.2f} ms bare, {sign['cpu_ratio']:.3f}; by throughput {sign['ratio']:.3f}. "
        f"Judged: **{sign['judged']:.3f}** ({sign['basis']}).",
        "",
        f"**Open loop at half its own capacity** ({half['offered_rate']:.0f} req/s, Poisson arrivals, distinct BZRA "
        f"orders, the run with the median p99 of {len(half.get('runs', [half['p99_ms']]))}): p50 {_ms(half['p50_ms'])} ms, "
        f"p95 {_ms(half['p95_ms'])} ms, p99 {_ms(half['p99_ms'])} ms (every run: "
        f"{', '.join(_ms(value) for value in half.get('runs', [half['p99_ms']]))} ms"
        + (f", at {', '.join(f'{rate:.0f}' for rate in half['rates'])} req/s: each half of what wrk measured "
           "right before it" if "rates" in half else "")
        + f"), {half['errors']} errors (other CPU {_other(half, disturbed_limit)}).",
        "",
        "Answers checked before the runs (status 200, no data issue): "
        + "; ".join(f"{LABELS[k]}: " + ", ".join(f"{n} {what}" for what, n in v.items()) for k, v in checks.items()) + ".",
        "",
    ]
    return lines
