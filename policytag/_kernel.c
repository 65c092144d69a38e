/*
 * policytag._kernel: the classifier's scoring loop in C.
 *
 * Computes, for a batch of texts, what policytag.model._Featurizer.score does
 * with numpy (feature occurrences -> L2-normalized TF-IDF rows -> products
 * with the coefficient matrix, for every text and for every sentence of it),
 * in one pass over the occurrences and without sorting.  It reads the same
 * arrays the numpy path uses (the vocabulary hash tables of _KeyTable and
 * _DirectTable, idf, coef_t) through the buffer protocol and writes into
 * caller-allocated float64 arrays, so it needs no numpy headers.
 *
 * The numpy path stays the reference: tests/test_model.py checks that both
 * give the same scores on the reference corpora.  The package works without
 * this module (setup.py builds it as an optional extension).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MUL 0x9E3779B97F4A7C15ULL

typedef struct {
    const int64_t *slots; /* (key, feature) pairs, key -1 for an empty slot */
    Py_ssize_t size;      /* number of slots: a power of two, 0 for "no table" */
    unsigned int shift;
    Py_ssize_t rounds;
} KeyTable;

static inline uint64_t table_home(const KeyTable *t, int64_t key)
{
    return ((uint64_t)key * MUL) >> t->shift;
}

/* Feature id of key, or -1: linear probing from its home slot, as in _KeyTable.get. */
static inline int64_t table_get(const KeyTable *t, int64_t key, uint64_t home)
{
    uint64_t mask = (uint64_t)t->size - 1;
    for (Py_ssize_t r = 0; r < t->rounds; r++) {
        uint64_t slot = (home + (uint64_t)r) & mask;
        int64_t found = t->slots[2 * slot];
        if (found == key)
            return t->slots[2 * slot + 1];
        if (found == -1)
            return -1;
    }
    return -1;
}

static inline int is_han(uint32_t c) { return c >= 0x4E00 && c <= 0x9FFF; }

static inline int is_break(uint32_t c)
{
    /* the sentence ends of model._SENT_END, and the \0 between texts */
    switch (c) {
    case 0:
    case 0x3002: /* 。 */
    case 0xFF01: /* ！ */
    case 0xFF1F: /* ？ */
    case 0xFF1B: /* ； */
    case 0x21:   /* ! */
    case 0x3F:   /* ? */
    case 0x3B:   /* ; */
        return 1;
    default:
        return 0;
    }
}

typedef struct {
    int64_t sent;
    int64_t feat;
} Occ;

/* 1 + log(tf) for small tf, filled once at import (the same libm call as otherwise) */
#define LOG_TABLE 64
static double log_table[LOG_TABLE];

typedef struct {
    const double *w;  /* (n_features, stride), row-major: idf, then the k coefficients, then padding */
    Py_ssize_t k, stride;
    int sublinear;
    int32_t *count;   /* n_features zeros between groups */
    int64_t *touched; /* features of the current group */
    double *acc;      /* k scores */
} Scorer;

/* Add each touched feature's TF-IDF value times its coefficients to acc[0..width)
 * and reset its count; returns the squared norm of the values.  Inlined, so a
 * constant width gives a fixed-length loop. */
static inline __attribute__((always_inline)) double accumulate(Scorer *s, Py_ssize_t nt, double *acc,
                                                               Py_ssize_t width)
{
    double norm2 = 0.0;
    for (Py_ssize_t t = 0; t < nt; t++) {
        int64_t f = s->touched[t];
        int32_t c = s->count[f];
        const double *row = s->w + f * s->stride;
        double v = (s->sublinear ? (c < LOG_TABLE ? log_table[c] : 1.0 + log((double)c)) : (double)c) * row[0];
        norm2 += v * v;
        for (Py_ssize_t j = 0; j < width; j++)
            acc[j] += v * row[1 + j];
        s->count[f] = 0;
    }
    return norm2;
}

/* Score one group of occurrences (a text or a sentence) into out[k]; returns 0
 * if the group is empty. */
static int score_group(Scorer *s, const Occ *occ, Py_ssize_t lo, Py_ssize_t hi, double *out)
{
    Py_ssize_t nt = 0, k = s->k;
    if (hi <= lo)
        return 0;
    for (Py_ssize_t i = lo; i < hi; i++) {
        int64_t f = occ[i].feat;
        if (s->count[f]++ == 0) {
            s->touched[nt++] = f;
            __builtin_prefetch(s->w + f * s->stride);
        }
    }
    /* rows of 8 (idf, up to 7 coefficients, zeros): a fixed-length loop on local
     * accumulators, which the compiler keeps in vector registers; the padding
     * lanes add zeros and are not written out */
    double local[7] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    double *acc = s->stride == 8 ? local : s->acc;
    if (acc != local)
        memset(acc, 0, (size_t)k * sizeof(double));
    double norm2 = acc == local ? accumulate(s, nt, local, 7) : accumulate(s, nt, acc, k);
    double inv = 1.0 / sqrt(norm2);
    for (Py_ssize_t j = 0; j < k; j++)
        out[j] = acc[j] * inv;
    return 1;
}

static int get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *name)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: buffer of %zd bytes is not a whole number of %zd-byte items",
                     name, view->len, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Reallocate the array whose pointer is at pptr (the address of a T *) to cap
 * items of item bytes; -1 if out of memory (the array is then unchanged). */
static int resize(void *pptr, Py_ssize_t cap, size_t item)
{
    void *old;
    memcpy(&old, pptr, sizeof old);
    void *grown = realloc(old, (size_t)cap * item);
    if (!grown)
        return -1;
    memcpy(pptr, &grown, sizeof grown);
    return 0;
}

static inline Py_ssize_t doubled(Py_ssize_t cap, Py_ssize_t first) { return cap ? 2 * cap : first; }

/* The word stream of model._Featurizer._word_ids: for each kept token (not
 * punctuation or space) its vocabulary id or -1, its text and its sentence
 * (sentence ends seen before it in the text).  Token ids are looked up in
 * the token cache and computed by token_id(str) on a miss. */
typedef struct {
    int64_t *id, *doc, *sent;
    Py_ssize_t n, cap;
} Words;

static int words_push(Words *w, int64_t id, int64_t doc, int64_t sent)
{
    if (w->n == w->cap) {
        Py_ssize_t cap = doubled(w->cap, 4096);
        if (resize(&w->id, cap, sizeof *w->id) < 0 || resize(&w->doc, cap, sizeof *w->doc) < 0 ||
            resize(&w->sent, cap, sizeof *w->sent) < 0)
            return -1;
        w->cap = cap;
    }
    w->id[w->n] = id;
    w->doc[w->n] = doc;
    w->sent[w->n] = sent;
    w->n++;
    return 0;
}

/* The token-id cache: raw token text -> model._Featurizer._token_id, kept
 * between calls in a capsule the featurizer holds.  An open-addressing table
 * whose slots hold the token's code units inline (up to 16 bytes; longer keys
 * live in an arena), so a lookup costs one probe of a 32-byte slot instead of
 * a dict lookup (hashing a fresh str, then comparing against a key object
 * elsewhere in memory, then unboxing an int). */
#define CACHE_INLINE 16
#define CACHE_MAX_USED 500000 /* cleared beyond this, like the dict memo */
#define CACHE_CAPSULE "policytag._kernel.TokenCache"

typedef struct {
    uint64_t hash; /* 0: empty */
    int32_t id;
    uint16_t len;  /* bytes of the key */
    uint8_t kind;  /* PyUnicode kind */
    uint8_t pad;
    union {
        char bytes[CACHE_INLINE];
        size_t off; /* into the arena, when len > CACHE_INLINE */
    } key;
} TokSlot;

typedef struct {
    TokSlot *slots;
    size_t mask, used;
    char *arena;
    size_t alen, acap;
} TokCache;

static void cache_free(TokCache *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c->arena);
    free(c);
}

static void cache_capsule_destructor(PyObject *cap)
{
    cache_free(PyCapsule_GetPointer(cap, CACHE_CAPSULE));
}

static int cache_init(TokCache *c, size_t n_slots)
{
    c->slots = calloc(n_slots, sizeof(TokSlot));
    if (!c->slots)
        return -1;
    c->mask = n_slots - 1;
    c->used = 0;
    c->alen = 0;
    return 0;
}

static PyObject *kernel_token_cache(PyObject *self, PyObject *noargs)
{
    TokCache *c = calloc(1, sizeof(TokCache));
    if (!c || cache_init(c, 1 << 16) < 0) {
        cache_free(c);
        return PyErr_NoMemory();
    }
    PyObject *cap = PyCapsule_New(c, CACHE_CAPSULE, cache_capsule_destructor);
    if (!cap)
        cache_free(c);
    return cap;
}

static inline uint64_t key_hash(const char *p, size_t n, int kind)
{
    uint64_t h = 0x243F6A8885A308D3ULL ^ ((uint64_t)n << 8) ^ (uint64_t)kind;
    while (n >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        h = (h ^ x) * MUL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t x = 0;
        memcpy(&x, p, n);
        h = (h ^ x) * MUL;
        h ^= h >> 31;
    }
    h *= MUL;
    h ^= h >> 29;
    return h ? h : 1;
}

static inline const char *slot_key(const TokCache *c, const TokSlot *s)
{
    return s->len <= CACHE_INLINE ? s->key.bytes : c->arena + s->key.off;
}

/* The slot of (p, n, kind): its match, or the empty slot where it would go. */
static inline TokSlot *cache_probe(TokCache *c, uint64_t h, const char *p, size_t n, int kind)
{
    for (size_t i = h & c->mask;; i = (i + 1) & c->mask) {
        TokSlot *s = &c->slots[i];
        if (s->hash == 0 || (s->hash == h && s->len == n && s->kind == kind && memcmp(slot_key(c, s), p, n) == 0))
            return s;
    }
}

static int cache_grow(TokCache *c)
{
    TokCache bigger = *c;
    if (cache_init(&bigger, 2 * (c->mask + 1)) < 0)
        return -1;
    for (size_t i = 0; i <= c->mask; i++) {
        TokSlot *s = &c->slots[i];
        if (s->hash == 0)
            continue;
        size_t j = s->hash & bigger.mask;
        while (bigger.slots[j].hash != 0)
            j = (j + 1) & bigger.mask;
        bigger.slots[j] = *s;
    }
    bigger.used = c->used;
    bigger.alen = c->alen;
    free(c->slots);
    *c = bigger;
    return 0;
}

/* Store id for the key at slot s (found empty by cache_probe). */
static int cache_insert(TokCache *c, TokSlot *s, uint64_t h, const char *p, size_t n, int kind, int32_t id)
{
    if (n > CACHE_INLINE) {
        if (c->alen + n > c->acap) {
            size_t cap = c->acap ? 2 * c->acap : 1 << 16;
            while (cap < c->alen + n)
                cap *= 2;
            char *grown = realloc(c->arena, cap);
            if (!grown)
                return -1;
            c->arena = grown;
            c->acap = cap;
        }
        memcpy(c->arena + c->alen, p, n);
        s->key.off = c->alen;
        c->alen += n;
    } else {
        memcpy(s->key.bytes, p, n);
    }
    s->len = (uint16_t)n;
    s->kind = (uint8_t)kind;
    s->id = id;
    s->hash = h;
    c->used++;
    return 2 * c->used > c->mask + 1 ? cache_grow(c) : 0;
}

/* The cache hash of a token (0 for one never cached), its slot prefetched. */
#define TOKEN_AHEAD 8
static inline uint64_t token_hash(const TokCache *c, PyObject *tok)
{
    if (!PyUnicode_Check(tok))
        return 0;
    int kind = PyUnicode_KIND(tok);
    size_t n = (size_t)PyUnicode_GET_LENGTH(tok) * (size_t)kind;
    if (n > UINT16_MAX)
        return 0;
    uint64_t h = key_hash(PyUnicode_DATA(tok), n, kind);
    __builtin_prefetch(&c->slots[h & c->mask]);
    return h;
}

#define ID_SKIP (-2)
#define ID_END (-3)

/* The id of token tok (a str; h its token_hash): from the cache, or computed
 * by token_id(tok) and stored.  -1 with an exception set on failure. */
static int token_id_of(TokCache *cache, PyObject *token_id, PyObject *tok, uint64_t h, long long *id)
{
    int kind = PyUnicode_KIND(tok);
    size_t n = (size_t)PyUnicode_GET_LENGTH(tok) * (size_t)kind;
    const char *p = PyUnicode_DATA(tok);
    int cacheable = n <= UINT16_MAX; /* a longer token is never in the vocabulary: ask, don't cache */
    TokSlot *s = cacheable ? cache_probe(cache, h, p, n, kind) : NULL;
    if (s && s->hash != 0) {
        *id = s->id;
        return 0;
    }
    Py_INCREF(tok); /* held across token_id, which runs Python code, until its key is stored */
    PyObject *nv = PyObject_CallOneArg(token_id, tok);
    *id = nv ? PyLong_AsLongLong(nv) : -1;
    Py_XDECREF(nv);
    int err = *id == -1 && PyErr_Occurred();
    if (!err && (*id < INT32_MIN || *id > INT32_MAX)) {
        PyErr_SetString(PyExc_ValueError, "token_id returned an id beyond 32 bits");
        err = 1;
    }
    if (!err && cacheable) {
        /* token_id ran Python code: another thread may have changed the cache
         * meanwhile, so find the slot again */
        s = cache_probe(cache, h, p, n, kind);
        if (s->hash == 0 && cache_insert(cache, s, h, p, n, kind, (int32_t)*id) < 0) {
            PyErr_NoMemory();
            err = 1;
        }
    }
    Py_DECREF(tok);
    return err ? -1 : 0;
}

static int collect_words(PyObject *docs_tokens, TokCache *cache, PyObject *token_id, Py_ssize_t n_docs, Words *w)
{
    PyObject *docs = PySequence_Fast(docs_tokens, "docs_tokens must be a sequence of token lists");
    if (!docs)
        return -1;
    if (PySequence_Fast_GET_SIZE(docs) != n_docs) {
        PyErr_SetString(PyExc_ValueError, "docs_tokens and the texts differ in number");
        Py_DECREF(docs);
        return -1;
    }
    if (cache->used > CACHE_MAX_USED) {
        memset(cache->slots, 0, (cache->mask + 1) * sizeof(TokSlot));
        cache->used = 0;
        cache->alen = 0;
    }
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        PyObject *toks = PySequence_Fast(PySequence_Fast_GET_ITEM(docs, d), "each text's tokens must be a sequence");
        if (!toks)
            goto fail;
        int64_t sent = 0;
        Py_ssize_t nt = PySequence_Fast_GET_SIZE(toks);
        PyObject **items = PySequence_Fast_ITEMS(toks);
        /* hashes of the next TOKEN_AHEAD tokens, whose slots are prefetched */
        uint64_t ahead[TOKEN_AHEAD];
        for (Py_ssize_t i = 0; i < TOKEN_AHEAD; i++)
            ahead[i] = i < nt ? token_hash(cache, items[i]) : 0;
        for (Py_ssize_t i = 0; i < nt; i++) {
            PyObject *tok = items[i];
            uint64_t h = ahead[i % TOKEN_AHEAD];
            ahead[i % TOKEN_AHEAD] = i + TOKEN_AHEAD < nt ? token_hash(cache, items[i + TOKEN_AHEAD]) : 0;
            if (!PyUnicode_Check(tok)) {
                PyErr_Format(PyExc_TypeError, "tokens must be str, not %.100s", Py_TYPE(tok)->tp_name);
                goto fail_toks;
            }
            long long id;
            if (token_id_of(cache, token_id, tok, h, &id) < 0)
                goto fail_toks;
            if (id == ID_END) {
                sent++;
                continue;
            }
            if (id == ID_SKIP)
                continue;
            if (words_push(w, (int64_t)id, d, sent) < 0) {
                PyErr_NoMemory();
                goto fail_toks;
            }
        }
        Py_DECREF(toks);
        continue;
    fail_toks:
        Py_DECREF(toks);
        goto fail;
    }
    Py_DECREF(docs);
    return 0;
fail:
    Py_DECREF(docs);
    return -1;
}

/* An n-gram or word bigram waiting for its hash-table lookup. */
typedef struct {
    int64_t key;
    int64_t sent;
    uint64_t home;
    const KeyTable *t;
} Pending;

/* Lookups wait in a small ring: a key's slot is prefetched when it enters,
 * and looked up when RING more keys have come after it (the tables are larger
 * than the CPU caches; a ring this small stays in L1). */
#define RING 16

typedef struct {
    Occ *occ;
    Py_ssize_t n, cap;
    Pending ring[RING];
    Py_ssize_t np; /* keys that entered the ring (the ring holds the last min(np, RING) minus those resolved) */
    Py_ssize_t done;
} Doc;

static inline int push_occ(Doc *b, int64_t sent, int64_t f)
{
    if (f < 0)
        return 0;
    if (b->n == b->cap) {
        Py_ssize_t cap = doubled(b->cap, 1024);
        if (resize(&b->occ, cap, sizeof *b->occ) < 0)
            return -1;
        b->cap = cap;
    }
    b->occ[b->n].sent = sent;
    b->occ[b->n].feat = f;
    b->n++;
    return 0;
}

/* Look up the oldest waiting key and add its feature (if any) as an occurrence. */
static inline int resolve_oldest(Doc *b)
{
    const Pending *p = &b->ring[b->done % RING];
    b->done++;
    return push_occ(b, p->sent, table_get(p->t, p->key, p->home));
}

static inline int push_pending(Doc *b, int64_t sent, int64_t key, const KeyTable *t)
{
    if (t->size == 0)
        return 0;
    if (b->np - b->done == RING && resolve_oldest(b) < 0)
        return -1;
    Pending *p = &b->ring[b->np % RING];
    b->np++;
    p->key = key;
    p->sent = sent;
    p->home = table_home(t, key);
    p->t = t;
    __builtin_prefetch(&t->slots[2 * (p->home & ((uint64_t)t->size - 1))]);
    return 0;
}

/* Resolve every key still waiting. */
static int resolve_pending(Doc *b)
{
    while (b->done < b->np)
        if (resolve_oldest(b) < 0)
            return -1;
    return 0;
}

#define N_BUF 8

static PyObject *kernel_score(PyObject *self, PyObject *args)
{
    PyObject *docs_tokens, *o_cache, *token_id;
    PyObject *o_uni, *o_bi, *o_cps, *o_c1, *o_c2, *o_c3, *o_w, *o_para, *o_best;
    unsigned int bi_shift, c2_shift, c3_shift;
    Py_ssize_t bi_rounds, c2_rounds, c3_rounds, k, stride, n_docs;
    int sublinear;
    if (!PyArg_ParseTuple(args, "OOOOOInOOOInOInOnnpnOO:score", &docs_tokens, &o_cache, &token_id,
                          &o_uni, &o_bi, &bi_shift, &bi_rounds, &o_cps, &o_c1, &o_c2, &c2_shift, &c2_rounds,
                          &o_c3, &c3_shift, &c3_rounds, &o_w, &k, &stride, &sublinear, &n_docs, &o_para,
                          &o_best))
        return NULL;

    Py_buffer b[N_BUF];
    int nb = 0;
    PyObject *objs[N_BUF] = {o_uni, o_bi, o_cps, o_c1, o_c2, o_c3, o_w, o_para};
    const Py_ssize_t sizes[N_BUF] = {8, 16, 4, 8, 16, 16, 8, 8};
    const char *names[N_BUF] = {"uni_feat", "bi_table", "cps", "c1_table", "c2_table", "c3_table",
                                "weights", "para"};
    Py_buffer best_buf = {0};
    int have_best = 0;
    PyObject *result = NULL;
    Words w = {0};
    Doc doc = {0};
    Occ *sorted = NULL;
    Py_ssize_t *bucket = NULL;
    double *tmp = NULL;
    Scorer sc = {0};
    int ok = 1;

    for (nb = 0; nb < N_BUF; nb++)
        if (get_buffer(objs[nb], &b[nb], sizes[nb], nb == N_BUF - 1, names[nb]) < 0)
            goto done;
    if (o_best != Py_None) {
        if (get_buffer(o_best, &best_buf, 8, 1, "best") < 0)
            goto done;
        have_best = 1;
    }

    const int64_t *uni = b[0].buf;
    const uint32_t *cps = b[2].buf;
    const int64_t *c1 = b[3].buf;
    Py_ssize_t n_uni = b[0].len / 8, n_cps = b[2].len / 4, n_c1 = b[3].len / 8;
    Py_ssize_t F = k > 0 && stride > k ? b[6].len / 8 / stride : 0;
    double *para = b[7].buf, *best = have_best ? best_buf.buf : NULL;
    if (k <= 0 || stride <= k || b[6].len / 8 != F * stride || b[7].len / 8 != n_docs * k ||
        (best != NULL && best_buf.len / 8 != n_docs * k)) {
        PyErr_SetString(PyExc_ValueError, "weights, para and best do not agree in shape");
        goto done;
    }
    KeyTable bi = {b[1].buf, b[1].len / 16, bi_shift, bi_rounds};
    KeyTable c2 = {b[4].buf, b[4].len / 16, c2_shift, c2_rounds};
    KeyTable c3 = {b[5].buf, b[5].len / 16, c3_shift, c3_rounds};
    const KeyTable *tabs[3] = {&bi, &c2, &c3};
    for (int t = 0; t < 3; t++) {
        Py_ssize_t sz = tabs[t]->size;
        if ((sz & (sz - 1)) || (sz && (tabs[t]->shift < 1 || tabs[t]->shift > 63 ||
                                       (1ULL << (64 - tabs[t]->shift)) != (uint64_t)sz))) {
            PyErr_SetString(PyExc_ValueError, "a hash table's size is not 2 ** (64 - shift)");
            goto done;
        }
    }
    /* feature ids in the tables are checked against F when used (push_occ callers) */

    TokCache *cache = PyCapsule_GetPointer(o_cache, CACHE_CAPSULE);
    if (!cache)
        goto done;
    if (collect_words(docs_tokens, cache, token_id, n_docs, &w) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < w.n; i++)
        if (w.id[i] >= n_uni) {
            PyErr_SetString(PyExc_ValueError, "a token id is outside uni_feat");
            goto done;
        }

    sc.w = b[6].buf;
    sc.k = k;
    sc.stride = stride;
    sc.sublinear = sublinear;

    Py_BEGIN_ALLOW_THREADS
    sc.count = calloc((size_t)(F > 0 ? F : 1), sizeof(int32_t));
    sc.acc = malloc((size_t)k * sizeof(double));
    tmp = malloc((size_t)k * sizeof(double));
    if (!sc.count || !sc.acc || !tmp)
        ok = 0;
    Py_ssize_t tcap = 0, bcap = 0, scap = 0;
    Py_ssize_t wi = 0, c = 0; /* positions in the word and character streams */
    const int64_t *ids = w.id, *wdoc = w.doc, *wsent = w.sent;
    Py_ssize_t n_w = w.n;

    for (Py_ssize_t d = 0; ok && d < n_docs; d++) {
        doc.n = 0;
        doc.np = doc.done = 0;
        /* words of text d: unigrams and bigrams of consecutive kept tokens */
        for (; ok && wi < n_w && wdoc[wi] == d; wi++) {
            int64_t id = ids[wi];
            if (id < 0)
                continue;
            if (push_occ(&doc, wsent[wi], uni[id]) < 0)
                ok = 0;
            if (wi + 1 < n_w && wdoc[wi + 1] == d && ids[wi + 1] >= 0 &&
                push_pending(&doc, wsent[wi], id * ((int64_t)1 << 31) + ids[wi + 1], &bi) < 0)
                ok = 0;
        }
        /* characters of text d: Han n-grams.  Text d > 0 starts at the \0 that
         * separates it from text d - 1; sentence ends are counted after a
         * text's first position, as model._Featurizer._char_stream does. */
        Py_ssize_t first = c;
        if (d > 0 && c < n_cps)
            c++; /* the separator */
        int64_t sent = 0;
        for (; ok && c < n_cps && cps[c] != 0; c++) {
            uint32_t ch = cps[c];
            if (c > first && is_break(ch))
                sent++;
            if (!is_han(ch))
                continue;
            if (n_c1 && push_occ(&doc, sent, c1[ch < (uint32_t)n_c1 ? ch : (uint32_t)n_c1 - 1]) < 0)
                ok = 0;
            if (c + 1 < n_cps && is_han(cps[c + 1])) {
                int64_t key2 = ((int64_t)ch << 21) | (int64_t)cps[c + 1];
                if (push_pending(&doc, sent, key2, &c2) < 0)
                    ok = 0;
                if (c + 2 < n_cps && is_han(cps[c + 2]) &&
                    push_pending(&doc, sent, (key2 << 21) | (int64_t)cps[c + 2], &c3) < 0)
                    ok = 0;
            }
        }
        if (!ok || resolve_pending(&doc) < 0) {
            ok = 0;
            break;
        }
        Py_ssize_t n_occ = doc.n;
        int64_t max_sent = 0; /* the last sentence that holds an occurrence */
        for (Py_ssize_t i = 0; i < n_occ; i++) {
            if (doc.occ[i].feat >= F) {
                ok = -1; /* a table names a feature beyond the weights */
                break;
            }
            if (doc.occ[i].sent > max_sent)
                max_sent = doc.occ[i].sent;
        }
        if (ok != 1)
            break;
        if (n_occ == 0)
            continue;
        if (n_occ > tcap) {
            free(sc.touched);
            tcap = n_occ;
            sc.touched = malloc((size_t)tcap * sizeof(int64_t));
            if (!sc.touched) { ok = 0; break; }
        }
        score_group(&sc, doc.occ, 0, n_occ, para + d * k);
        if (best == NULL)
            continue;
        if (max_sent == 0) { /* one sentence: the same group, so the same score */
            for (Py_ssize_t j = 0; j < k; j++)
                if (para[d * k + j] > best[d * k + j])
                    best[d * k + j] = para[d * k + j];
            continue;
        }
        /* sentences: a counting sort of the occurrences by sentence */
        Py_ssize_t nbk = (Py_ssize_t)max_sent + 2;
        if (nbk > bcap) {
            free(bucket);
            bcap = nbk;
            bucket = malloc((size_t)bcap * sizeof(Py_ssize_t));
            if (!bucket) { ok = 0; break; }
        }
        if (n_occ > scap) {
            free(sorted);
            scap = n_occ;
            sorted = malloc((size_t)scap * sizeof(Occ));
            if (!sorted) { ok = 0; break; }
        }
        memset(bucket, 0, (size_t)nbk * sizeof(Py_ssize_t));
        for (Py_ssize_t i = 0; i < n_occ; i++)
            bucket[doc.occ[i].sent + 1]++;
        for (Py_ssize_t s = 1; s < nbk; s++)
            bucket[s] += bucket[s - 1];
        for (Py_ssize_t i = 0; i < n_occ; i++)
            sorted[bucket[doc.occ[i].sent]++] = doc.occ[i];
        /* bucket[s] is now the end of sentence s */
        double *bd = best + d * k;
        Py_ssize_t lo = 0;
        for (Py_ssize_t s = 0; s + 1 < nbk; s++) {
            Py_ssize_t hi = bucket[s];
            if (score_group(&sc, sorted, lo, hi, tmp)) {
                for (Py_ssize_t j = 0; j < k; j++)
                    if (tmp[j] > bd[j])
                        bd[j] = tmp[j];
            }
            lo = hi;
        }
    }
    Py_END_ALLOW_THREADS
    if (ok == -1) {
        PyErr_SetString(PyExc_ValueError, "a hash table holds a feature id beyond the weights");
        goto done;
    }
    if (!ok) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    free(w.id);
    free(w.doc);
    free(w.sent);
    free(doc.occ);
    free(bucket);
    free(sorted);
    free(tmp);
    free(sc.count);
    free(sc.touched);
    free(sc.acc);
    for (int i = 0; i < nb; i++)
        PyBuffer_Release(&b[i]);
    if (have_best)
        PyBuffer_Release(&best_buf);
    return result;
}

static PyMethodDef methods[] = {
    {"token_cache", kernel_token_cache, METH_NOARGS,
     "token_cache() -> a new, empty token-id cache for score() (a capsule)."},
    {"score", kernel_score, METH_VARARGS,
     "score(docs_tokens, cache, token_id, uni_feat, bi_table, bi_shift, bi_rounds, cps, c1_table,\n"
     "      c2_table, c2_shift, c2_rounds, c3_table, c3_shift, c3_rounds, weights,\n"
     "      k, stride, sublinear, n_docs, para, best)\n\n"
     "weights is (n_features, stride >= 1 + k): idf, then coef_t, then any padding.  Fill para (n_docs x k) with the text\n"
     "scores and best (or None) with each text's best\n"
     "sentence score.  Private: called by policytag.model._Featurizer.score."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel",
                                    "The classifier's scoring loop in C (private).", -1, methods};

PyMODINIT_FUNC PyInit__kernel(void)
{
    for (int i = 1; i < LOG_TABLE; i++)
        log_table[i] = 1.0 + log((double)i);
    return PyModule_Create(&module);
}
