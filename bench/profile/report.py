#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of bench/profile.sh: instructions per TCP_RR transaction by function and cause."""
import argparse, bisect, collections, gzip, os, re

ap = argparse.ArgumentParser()
ap.add_argument('--dir', required=True)
ap.add_argument('--kernel', required=True)
ap.add_argument('--kver', default='')
ap.add_argument('--out', required=True)
a = ap.parse_args()

# Function -> category, first match wins. Names are kallsyms names
# ("meta_xmit [meta]" for the module, "bpf_prog_<tag>_<name> [bpf]").
CATS = [
    ('user space (netperf, netserver, libc)', r'^\[user\]$'),
    ('meta driver', r'\[meta\]$'),
    ('netkit driver', r'^netkit_|\[netkit\]$'),
    ('BPF programs (JITed)', r'^bpf_prog_|\[bpf\]$|^bpf_dispatcher'),
    ('BPF helpers, redirect', r'^(skb_do_redirect|__bpf_redirect|bpf_redirect|____bpf_redirect|bpf_skb_|____bpf_skb|bpf_l3_csum|bpf_l4_csum|____bpf_l|bpf_csum|bpf_map_|htab_|__htab|__bpf_prog|bpf_out_neigh|bpf_neigh|dev_get_by_index|netdev_get_by_index|sk_skb_|bpf_fib_lookup|bpf_ipv4_fib_lookup|bpf_net_ctx)'),
    ('tc ingress hook', r'^(sch_handle_ingress|tcf_|tcx_|cls_bpf|tc_run|__tcf|tc_skb|ingress_|skb_tc)'),
    ('routing/FIB', r'^(fib|__fib|ip_route|__ip_route|ip_mkroute|rt_cache|rt_dst|rt_set|ip_rt_|__mkroute|find_exception|l3mdev|dst_release|dst_hold|dst_alloc|dst_init|dst_destroy|ipv4_neigh_lookup)'),
    ('neighbour/L2 header', r'^(neigh_|__neigh|ip_finish_output2|eth_header|dev_hard_header|ip_neigh|__ipv4_neigh|arp_)'),
    ('veth driver', r'^veth_'),
    ('dev_queue_xmit core', r'^(__dev_queue_xmit|dev_queue_xmit|dev_hard_start_xmit|validate_xmit|netif_skb_features|skb_network_protocol|sch_direct|qdisc|__qdisc|dev_qdisc|netdev_core_pick|netdev_pick|skb_csum_hwoffload|skb_checksum_help|harmonize|dev_xmit|xmit_one|netdev_start_xmit|passthru_features|is_skb_forwardable|__dev_forward_skb|dev_forward_skb|skb_scrub_packet|skb_orphan|eth_type_trans|dev_sw_netstats)'),
    ('rx: backlog, softirq, netif_receive', r'^(netif_rx|__netif_rx|enqueue_to_backlog|process_backlog|__netif_receive|netif_receive|net_rx_action|napi_|__napi|rps_|deliver_skb|gro_|dev_gro|__do_softirq|do_softirq|handle_softirqs|__raise_softirq|raise_softirq|skb_defer|netif_skb|__local_bh_enable_ip|local_bh_enable)'),
    ('IP forward', r'^(ip_forward|ip_decrease_ttl)'),
    ('netfilter/LSM hooks', r'^(nf_|__nf|ipt_|iptable|nft_|ipv4_conntrack|apparmor|aa_|tomoyo|security_|selinux|bpf_lsm)'),
    ('IP input', r'^(ip_rcv|ip_local_deliver|ip_protocol_deliver|ip_sublist|ip_list|raw_local_deliver|__ip_rcv|inet_lookup|__inet_lookup|ip_check_defrag|ip_route_use_hint|tcp_v4_early_demux)'),
    ('IP output', r'^(ipv4_dst_check|ipv4_mtu|ip_queue_xmit|__ip_queue_xmit|ip_local_out|__ip_local_out|ip_output|ip_finish_output|__ip_finish_output|ip_send_check|ip_build|ip_copy_addrs|ip_skb_dst_mtu|ip_select_ident|__ip_select|ip_fast_csum)'),
    ('TCP/socket', r'^(bpf_skops|cubictcp|__usecs_to_jiffies|tcp|__tcp|inet_|__inet|sk_|__sk|lock_sock|release_sock|__release_sock|sock_|__sock|skb_entail|__skb_datagram|skb_copy_datagram|skb_attempt_defer|minmax|__sys_sendto|__sys_recvfrom|____sys_|___sys_|__x64_sys_sendto|__x64_sys_recvfrom|sockfd_lookup|skb_add_data|skb_push|skb_put|skb_set_owner|skb_clone|__copy_skb)'),
    ('skb/slab alloc+free', r'^(__alloc_skb|alloc_skb|__kmalloc|kmalloc|kmem_cache|kfree|__kfree|skb_release|consume_skb|__slab|slab_|___slab|skb_free|napi_skb|page_frag|skb_copy|pskb_expand|memcg|mod_memcg|__mod_memcg|obj_cgroup|refill_obj|__refill|__consume_stock|__kmem|skb_page_frag|__build_skb|build_skb|__skb_|skb_head|skb_dst_drop|skb_ext|__memcg|mod_objcg|drain_obj|__put_partials|put_cpu_partial|get_partial|allocate_slab|__free_|free_unref|get_page_from|__alloc_pages|rmqueue|should_fail|__should_fail)'),
    ('scheduler, wakeup, context switch', r'^(schedule|__schedule|try_to_wake_up|ttwu|enqueue_|dequeue_|pick_next|pick_eevdf|update_curr|update_load|update_cfs|update_rq|__switch_to|switch_mm|finish_task_switch|sched_|psi_|wake_up|autoremove_wake|__wake_up|set_next_entity|put_prev|select_task_rq|prepare_task_switch|context_switch|wait_woken|schedule_timeout|reweight|place_entity|__update_load|check_preempt|wakeup_preempt|resched|__resched|__enqueue|__dequeue|avg_vruntime|update_min_vruntime|__calc_delta|vruntime|newidle|balance_fair|__pick|raw_spin_rq|_raw_spin_rq|default_wake_function|pick_task|set_next_task|update_entity|__set_next|cpuacct|cgroup_account|__cgroup_account|account_|update_stats|dl_server|task_tick|native_sched_clock|sched_clock|local_clock)'),
    ('syscall entry/exit, copy, misc', r'^(entry_SYSCALL|do_syscall|syscall_|__x64_sys|x64_sys|__fdget|fdget|fput|__fget|__se_sys|ksys_|vfs_|exit_to_user|fpregs|switch_fpu|restore_fpregs|__get_user|__put_user|arch_exit|simple_copy_to_iter|import_ubuf|__rseq|rseq_|mem_cgroup_handle|blkcg_|_copy_|copy_user|rep_movs|__check_object|check_heap|check_stack|__virt_addr|__phys_addr|_raw|queued_spin|native_queued|memcpy|memset|memmove|__memcpy|__memset|__rcu|rcu_|preempt|__cond_resched|csum_|__x86|srso|retbleed|entry_untrain|lockref|refcount|__refcount|get_random|siphash|jhash|ktime|read_tsc|__list|list_|percpu|__this_cpu|clear_bhb|irqentry|__irq|irq_|asm_|sysvec|__sysvec|hrtimer|__hrtimer|tick_|timer|__timer|lapic|native_apic|native_write_msr|native_read_msr|perf_|__perf|error_entry|paranoid|ret_from|native_irq|x86_|__fentry|__pfx)'),
]
CATRE = [(n, re.compile(p)) for n, p in CATS]
ORDER = [n for n, _ in CATS] + ['other kernel']
ENDPOINT = {'user space (netperf, netserver, libc)', 'syscall entry/exit, copy, misc', 'TCP/socket', 'IP output',
            'IP input', 'netfilter/LSM hooks', 'scheduler, wakeup, context switch', 'skb/slab alloc+free', 'other kernel'}

def cat_of(fn):
    for n, r in CATRE:
        if r.search(fn):
            return n
    return 'other kernel'

def load_syms(path):
    out = []
    with gzip.open(path, 'rt') if path.endswith('.gz') else open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 3 or w[1] not in 'tTwW':
                continue
            name = w[2] + (' ' + w[3] if len(w) > 3 else '')
            out.append((int(w[0], 16), name))
    return out

meta = collections.defaultdict(list)
for line in open(os.path.join(a.dir, 'meta.txt')):
    w = line.split()
    if len(w) >= 3 and w[:2] == ['#', 'PROF']:
        meta[w[2]].append(w[3:])
rates = {w[0]: [float(x) for x in w[1:]] for w in meta['rate']}
times = {w[0]: float(w[1]) for w in meta['time']}
ksyms = load_syms(os.path.join(a.dir, 'syms-kernel'))

# counts file: "window N", then "vaddr ninsns execs", "end N"; windows in
# the order of the scenarios that have a rate line.
wins = []
cur = None
for line in open(os.path.join(a.dir, 'counts')):
    w = line.split()
    if w[0] == 'window':
        cur = []
    elif w[0] == 'end':
        wins.append(cur)
        cur = None
    elif cur is not None:
        cur.append((int(w[0], 16), int(w[1]), int(w[2])))
scen = [w[0] for w in meta['rate']]
assert len(scen) == len(wins), (scen, len(wins))

data = {}
for s, win in zip(scen, wins):
    syms = sorted(ksyms + load_syms(os.path.join(a.dir, f'syms-{s}')))
    addrs = [x for x, _ in syms]
    fn = collections.Counter()
    total = 0
    for va, n, c in win:
        k = n * c
        total += k
        if va < 0x800000000000:
            fn['[user]'] += k
            continue
        i = bisect.bisect_right(addrs, va) - 1
        fn[syms[i][1] if i >= 0 else '?'] += k
    base, counted = rates[s][0], rates[s][1]
    trans = counted * times.get(s, 0) if s in times else None
    # Transactions in the window: netperf's rate over its own -l seconds;
    # the window also holds netperf's start and the marker processes,
    # which the per-transaction figure includes (small).
    data[s] = dict(fn=fn, total=total, base=base, counted=counted)

T = float(re.search(r'prof.time=(\d+)', open(os.path.join(a.dir, 'append')).read()).group(1)) if os.path.exists(os.path.join(a.dir, 'append')) else 5.0
for s, d in data.items():
    d['trans'] = d['counted'] * T
    d['ipt_counted'] = d['total'] / d['trans']
    d['ipt_rate'] = 5e8 / d['counted']     # icount shift=1: 2 ns per insn

def per(s, n):
    d = data[s]
    return d['fn'][n] / d['trans']

catv = {}
for s, d in data.items():
    c = collections.Counter()
    for f, k in d['fn'].items():
        c[cat_of(f)] += k / d['trans']
    catv[s] = c

o = []
w = o.append
w(f'# Instructions per TCP_RR transaction, kernel {a.kernel} ({a.kver})\n')
w('Generated by `bench/profile.sh` (guest side `bench/profile_guest.sh`). Exact counts, not samples: '
  'QEMU (TCG, `-icount shift=1`, one CPU) runs with a plugin that counts every executed guest '
  'instruction per translation block between two marker instructions the guest executes around one '
  f'netperf TCP_RR 1 B run of {T:g} s per scenario; blocks are mapped to functions with the guest\'s '
  '/proc/kallsyms. Per transaction = counted instructions / (trans/s x seconds); the window also holds netperf\'s own '
  'start-up and the marker processes, hence slightly above 5e8 / (trans/s).\n')
w('| scenario | trans/s (warm-up) | trans/s (counted run) | 5e8 / trans/s | counted instructions / transaction |')
w('|---|---:|---:|---:|---:|')
for s in scen:
    d = data[s]
    w(f"| {s} | {d['base']:.0f} | {d['counted']:.0f} | {d['ipt_rate']:,.0f} | {d['ipt_counted']:,.0f} |")
w('')
w('## By category (instructions per transaction, request + response)\n')
w('Self instructions of each function, functions grouped by name. No call chains: generic helpers '
  '(memcpy, locks, RCU, copies, irq/timer entry) are in "syscall entry/exit, copy, misc".\n')
others = [s for s in scen if s != 'host-to-host']
w('| category | ' + ' | '.join(scen) + ' | ' + ' | '.join(f'{s} − host-to-host' for s in others) + ' |')
w('|---|' + '---:|' * (len(scen) + len(others)))
for n in ORDER:
    vals = [catv[s][n] for s in scen]
    if max(vals) < 0.5:
        continue
    h = catv['host-to-host'][n]
    w(f'| {n} | ' + ' | '.join(f'{v:,.0f}' for v in vals) + ' | ' + ' | '.join(f'{catv[s][n] - h:+,.0f}' for s in others) + ' |')
tot = {s: sum(catv[s].values()) for s in scen}
w('| **total** | ' + ' | '.join(f'**{tot[s]:,.0f}**' for s in scen) + ' | ' + ' | '.join(f"**{tot[s] - tot['host-to-host']:+,.0f}**" for s in others) + ' |')
w('')
w('### Endpoint stack vs. pod crossing\n')
w('Endpoint = the categories host-to-host has too (user, syscalls/copies, TCP/socket, IP in/out, netfilter/LSM, '
  'scheduler, skb alloc/free, other). Crossing = devices, BPF, tc, FIB, neighbour, dev_queue_xmit, rx backlog/softirq, forwarding.\n')
w('| scenario | endpoint | crossing | extra vs host-to-host: endpoint | extra: crossing |')
w('|---|---:|---:|---:|---:|')
he = sum(v for n, v in catv['host-to-host'].items() if n in ENDPOINT)
hc = tot['host-to-host'] - he
for s in scen:
    e = sum(v for n, v in catv[s].items() if n in ENDPOINT)
    c = tot[s] - e
    de, dc = e - he, c - hc
    share = f' ({dc / (de + dc) * 100:.0f} % of the extra)' if s != 'host-to-host' and de + dc > 0 else ''
    w(f'| {s} | {e:,.0f} | {c:,.0f} | {de:+,.0f} | {dc:+,.0f}{share} |')
w('')
# The extra over host-to-host, by cause: per-function differences summed
# over function sets (first match wins).
CAUSES = [
    ('pair device driver (meta: meta_xmit with the redirect inlined, meta_get_peer_dev; netkit: netkit_xmit, netkit_peer_dev)', r'\[meta\]$|^netkit_|\[netkit\]$'),
    ('BPF program bodies (host_routing, nic_ingress)', r'\[bpf\]$|^bpf_prog_'),
    ('tc ingress hook on the wire (tcx, or clsact + cls_bpf)', r'^(tc_run|tcf_|__tcf|cls_bpf|sch_handle_ingress|tcx_)'),
    ('FIB lookup / route input', r'^(fib|__fib|bpf_ipv4_fib_lookup|bpf_skb_fib_lookup|map_id_range_down|ip_route|__ip_route|ip_mkroute|rt_|ip_rt_)'),
    ('BPF header access + TTL rewrite (load/store_bytes, l3_csum_replace, pull_data, ensure_writable)', r'^(bpf_skb_load_bytes|bpf_skb_store_bytes|bpf_l3_csum_replace|bpf_skb_pull_data|skb_ensure_writable|bpf_csum)'),
    ('pod map lookup (hash map, 16-byte key)', r'^(htab_|__htab|lookup_nulls_elem_raw|lookup_elem_raw|memcmp$|bpf_map_)'),
    ('redirect helpers (skb_do_redirect, dev_get_by_index_rcu, bpf_redirect_*; netkit: bpf_out_neigh_v4)', r'^(skb_do_redirect|dev_get_by_index|bpf_redirect|__bpf_redirect|bpf_out_neigh|skb_pull$)'),
    ('IP forward (host stack)', r'^(ip_forward|ip_decrease_ttl)'),
    ('extra device xmit (dev_queue_xmit core, scrub)', None),
    ('extra receive round (netif_rx, backlog, __netif_receive_skb_core)', None),
    ('veth driver', r'^veth_'),
    ('neighbour/L2 header', None),
    ('IP input/output of the extra hop', None),
    ('skb alloc/free, copies (pskb_expand_head, memcpy)', r'^(pskb_expand_head|memcpy|__memcpy)'),
]
CAUSERE = [(n, re.compile(p) if p else None) for n, p in CAUSES]
CAT2CAUSE = {'dev_queue_xmit core': 'extra device xmit (dev_queue_xmit core, scrub)',
             'rx: backlog, softirq, netif_receive': 'extra receive round (netif_rx, backlog, __netif_receive_skb_core)',
             'neighbour/L2 header': 'neighbour/L2 header',
             'IP input': 'IP input/output of the extra hop', 'IP output': 'IP input/output of the extra hop',
             'skb/slab alloc+free': 'skb alloc/free, copies (pskb_expand_head, memcpy)'}

def cause_of(f):
    for n, r in CAUSERE:
        if r is not None and r.search(f):
            return n
    return CAT2CAUSE.get(cat_of(f), 'everything else (TCP, scheduler, syscalls, misc.)')

w('## The extra instructions per transaction over host-to-host, by cause\n')
w('Per-function differences to host-to-host, summed by cause (negative: fewer than host-to-host).\n')
cz = {}
for s in others:
    c = collections.Counter()
    for f in set(data[s]['fn']) | set(data['host-to-host']['fn']):
        c[cause_of(f)] += per(s, f) - per('host-to-host', f)
    cz[s] = c
names = [n for n, _ in CAUSES] + ['everything else (TCP, scheduler, syscalls, misc.)']
w('| cause | ' + ' | '.join(f'{s}: instructions | {s}: share' for s in others) + ' |')
w('|---|' + '---:|---:|' * len(others))
for n in names:
    if max(abs(cz[s][n]) for s in others) < 0.5:
        continue
    row = []
    for s in others:
        tt = sum(cz[s].values())
        row.append(f'{cz[s][n]:+,.0f} | {cz[s][n] / tt * 100:.0f} %')
    w(f'| {n} | ' + ' | '.join(row) + ' |')
w('| **total** | ' + ' | '.join(f'**{sum(cz[s].values()):+,.0f}** | 100 %' for s in others) + ' |')
w('')

# Function-level difference meta-bpf (or last) vs host-to-host.
for s in others:
    w(f'## Largest per-function differences, {s} − host-to-host\n')
    w('| function | host-to-host | ' + s + ' | difference | category |')
    w('|---|---:|---:|---:|---|')
    allf = set(data[s]['fn']) | set(data['host-to-host']['fn'])
    diffs = sorted(allf, key=lambda f: -abs(per(s, f) - per('host-to-host', f)))
    for f in diffs[:40]:
        w(f"| `{f}` | {per('host-to-host', f):,.0f} | {per(s, f):,.0f} | {per(s, f) - per('host-to-host', f):+,.0f} | {cat_of(f)} |")
    w('')
for s in scen:
    w(f'## Top 30 functions, {s}\n')
    w('| function | instructions / transaction | % | category |')
    w('|---|---:|---:|---|')
    for f, k in data[s]['fn'].most_common(30):
        w(f"| `{f}` | {k / data[s]['trans']:,.0f} | {k / data[s]['total'] * 100:.1f} | {cat_of(f)} |")
    w('')
    meta_f = [(f, k) for f, k in data[s]['fn'].items() if f.endswith('[meta]') or f.endswith('[bpf]') or f.startswith('netkit_')]
    if meta_f:
        w(f'### pair driver and BPF functions, {s}\n')
        w('| function | instructions / transaction |')
        w('|---|---:|')
        for f, k in sorted(meta_f, key=lambda x: -x[1]):
            w(f"| `{f}` | {k / data[s]['trans']:,.1f} |")
        w('')
# A hand-written analysis after the marker line survives regeneration.
MARK = '<!-- analysis: kept by bench/profile.sh -->'
keep = ''
if os.path.exists(a.out):
    txt = open(a.out).read()
    if MARK in txt:
        keep = txt[txt.index(MARK):]
open(a.out, 'w').write('\n'.join(o) + '\n' + keep)
