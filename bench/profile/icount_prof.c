// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU TCG plugin: exact guest instruction counts per translation block
 * between two marker instructions the guest executes (prof_mark). A TB
 * never spans a call or a jump, so its start address names the function
 * its instructions belong to. QEMU 7.2 has no installed qemu-plugin.h:
 * the few declarations of its (stable, version 1) API are repeated here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb)(unsigned int vcpu, void *udata);
typedef void (*atexit_cb)(qemu_plugin_id_t id, void *udata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, udata_cb cb,
					    enum qemu_plugin_cb_flags flags, void *udata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, atexit_cb cb, void *udata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* nopl 0x41545344(%rax) / nopl 0x4f545344(%rax): "DSTA" / "DSTO". */
static const unsigned char mark_start[] = { 0x0f, 0x1f, 0x80, 'D', 'S', 'T', 'A' };
static const unsigned char mark_stop[] = { 0x0f, 0x1f, 0x80, 'D', 'S', 'T', 'O' };

struct tbrec {
	uint64_t count;		/* executions, inline-incremented */
	uint64_t snap;		/* count at the start marker */
	uint64_t vaddr;
	uint32_t n;
};

/* Records never move (the inline op holds their address): chunks. */
#define CHUNK 65536
static struct tbrec **chunks;
static size_t nrec, nchunks;
static FILE *out;
static int window;

static struct tbrec *new_rec(void)
{
	if (nrec == nchunks * CHUNK) {
		chunks = realloc(chunks, ++nchunks * sizeof(*chunks));
		chunks[nchunks - 1] = calloc(CHUNK, sizeof(struct tbrec));
		if (!chunks || !chunks[nchunks - 1])
			abort();
	}
	nrec++;
	return &chunks[(nrec - 1) / CHUNK][(nrec - 1) % CHUNK];
}

#define REC(i) (&chunks[(i) / CHUNK][(i) % CHUNK])

static void on_start(unsigned int vcpu, void *udata)
{
	size_t i;

	for (i = 0; i < nrec; i++)
		REC(i)->snap = REC(i)->count;
}

static void on_stop(unsigned int vcpu, void *udata)
{
	size_t i;

	fprintf(out, "window %d\n", ++window);
	for (i = 0; i < nrec; i++) {
		struct tbrec *r = REC(i);

		if (r->count != r->snap)
			fprintf(out, "%llx %u %llu\n", (unsigned long long)r->vaddr, r->n,
				(unsigned long long)(r->count - r->snap));
		r->snap = r->count;
	}
	fprintf(out, "end %d\n", window);
	fflush(out);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct tbrec *r = new_rec();

	r->vaddr = qemu_plugin_tb_vaddr(tb);
	r->n = n;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &r->count, 1);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const unsigned char *d = qemu_plugin_insn_data(insn);

		if (qemu_plugin_insn_size(insn) != sizeof(mark_start))
			continue;
		if (!memcmp(d, mark_start, sizeof(mark_start)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
		else if (!memcmp(d, mark_stop, sizeof(mark_stop)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	size_t i;

	fclose(out);
	for (i = 0; i < nchunks; i++)
		free(chunks[i]);
	free(chunks);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
	const char *path = "icount_prof.out";
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
	out = fopen(path, "w");
	if (!out)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
