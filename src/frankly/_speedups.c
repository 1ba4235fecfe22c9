/* Optional accelerator for frankly.check (loaded by frankly/check/_accel.py).
 *
 * The pure-Python code is the reference: every function here returns exactly what the Python
 * steps it replaces return, and tests/test_speedups.py compares the two on a corpus, on every
 * rule example and on arbitrary text.
 *
 *   words(words, sole, nlangs, sample) -> table     the function words of the language profiles
 *   shared(text, table) -> (verdict|None, cuts, words, vowel_groups, e_space, caps, max_gap)
 *       one pass for the figures every check needs: frankly.text.language.detect's fast path
 *       (None sends the caller to the Python detect), frankly.check._engine.sentence_cuts,
 *       frankly.check._metrics.counts and has_capitals_run, and the longest stretch between
 *       two cuts;
 *   build(keys, values, mask_code, month_code) -> automaton    from a Pack's automaton keys
 *   scan(automaton, low, text, live) -> (by_rule, mask_parts|None)
 *       frankly.check._engine._scan before masking: same matches, same filters, same order.
 *   lower(text) -> text.lower()
 *
 * Strings are read in place (1, 2 or 4 bytes per character); nothing is encoded.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

#if PY_VERSION_HEX < 0x030C0000
#define READY(o) PyUnicode_READY(o)
#else
#define READY(o) 0
#endif

/* ---- function words for language detection ------------------------------------------ */

#define MAX_SAMPLE 1024
#define MAX_LANGS 64
#define WORDS_NAME "frankly._speedups.words"

typedef struct {
    uint64_t hash;
    Py_ssize_t start;     /* offset of the word in pool, or -1 for an empty slot */
    Py_ssize_t len;
    int sole;             /* index of the one language that uses the word, or -1 */
} Slot;

typedef struct {
    size_t mask;          /* slots - 1, a power of two minus one */
    Slot *slot;
    Py_UCS4 *pool;
    Py_ssize_t maxlen;
    Py_ssize_t sample;
    int nlangs;
} Words;

static uint64_t hash_cps(const Py_UCS4 *w, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) { h ^= w[i]; h *= 1099511628211ULL; }
    return h;
}

static void words_free(PyObject *cap) {
    Words *t = PyCapsule_GetPointer(cap, WORDS_NAME);
    if (!t) return;
    PyMem_Free(t->slot); PyMem_Free(t->pool); PyMem_Free(t);
}

static Py_ssize_t word_find(const Words *t, const Py_UCS4 *w, Py_ssize_t n) {
    uint64_t h = hash_cps(w, n);
    for (size_t j = h & t->mask; t->slot[j].start >= 0; j = (j + 1) & t->mask) {
        const Slot *e = &t->slot[j];
        if (e->hash == h && e->len == n && !memcmp(t->pool + e->start, w, n * sizeof(Py_UCS4)))
            return (Py_ssize_t)j;
    }
    return -1;
}

static PyObject *words(PyObject *self, PyObject *args) {
    PyObject *list, *soles;
    int nlangs;
    Py_ssize_t sample;
    if (!PyArg_ParseTuple(args, "O!O!in", &PyList_Type, &list, &PyList_Type, &soles, &nlangs, &sample))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (PyList_GET_SIZE(soles) != n || nlangs < 0 || nlangs > MAX_LANGS || sample < 0 || sample > MAX_SAMPLE) {
        PyErr_SetString(PyExc_ValueError, "words: bad sizes");
        return NULL;
    }
    Py_ssize_t chars = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(list, i);
        if (!PyUnicode_Check(w) || READY(w) < 0) { PyErr_SetString(PyExc_TypeError, "words: str expected"); return NULL; }
        chars += PyUnicode_GET_LENGTH(w);
    }
    size_t slots = 16;
    while (slots < (size_t)n * 2 + 1) slots *= 2;
    Words *t = PyMem_Calloc(1, sizeof(Words));
    if (!t) return PyErr_NoMemory();
    t->mask = slots - 1; t->nlangs = nlangs; t->sample = sample;
    t->slot = PyMem_Calloc(slots, sizeof(Slot));
    t->pool = PyMem_Calloc(chars ? (size_t)chars : 1, sizeof(Py_UCS4));
    PyObject *cap = NULL;
    if (!t->slot || !t->pool) { PyErr_NoMemory(); goto fail; }
    for (size_t j = 0; j < slots; j++) t->slot[j].start = -1;
    Py_ssize_t used = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(list, i);
        Py_ssize_t len = PyUnicode_GET_LENGTH(w);
        long sole = PyLong_AsLong(PyList_GET_ITEM(soles, i));
        if (sole == -1 && PyErr_Occurred()) goto fail;
        if (sole >= nlangs) { PyErr_SetString(PyExc_ValueError, "words: bad language index"); goto fail; }
        if (!len) continue;  /* split() never yields an empty word */
        Py_UCS4 *dst = t->pool + used;
        if (!PyUnicode_AsUCS4(w, dst, len, 0)) goto fail;
        if (word_find(t, dst, len) >= 0) continue;  /* a duplicate: the first one counts */
        uint64_t h = hash_cps(dst, len);
        size_t j = h & t->mask;
        while (t->slot[j].start >= 0) j = (j + 1) & t->mask;
        t->slot[j].hash = h; t->slot[j].start = used; t->slot[j].len = len;
        t->slot[j].sole = sole < 0 ? -1 : (int)sole;
        used += len;
        if (len > t->maxlen) t->maxlen = len;
    }
    cap = PyCapsule_New(t, WORDS_NAME, words_free);
    if (cap) return cap;
fail:
    PyMem_Free(t->slot); PyMem_Free(t->pool); PyMem_Free(t);
    return NULL;
}

/* str.lower() of one character when it is one character; 0 when it is not (İ) or depends on
   the context (Σ): the caller then leaves the detection to Python. Per Unicode's
   SpecialCasing.txt these two are the only characters whose full lower case differs from
   the simple one that Py_UNICODE_TOLOWER gives (Python applies no language-specific rules). */
static inline Py_UCS4 lower1(Py_UCS4 c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c < 0x100) return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
    if (c == 0x130 || c == 0x3A3) return 0;
    return Py_UNICODE_TOLOWER(c);
}

/* language.detect's fast path: the distinct known words among text[:sample].lower().split(),
   counted per sole-owner language, then _verdict's arithmetic. Returns a new reference to
   (language index, unrounded confidence) or None; NULL on error. */
static PyObject *verdict(const Words *t, int kind, const void *data, Py_ssize_t n) {
    Py_ssize_t m = n < t->sample ? n : t->sample;
    Py_UCS4 small[64];
    Py_UCS4 *tok = small;
    if (t->maxlen > 64 && !(tok = PyMem_Malloc(t->maxlen * sizeof(Py_UCS4)))) return PyErr_NoMemory();
    Py_ssize_t seen[MAX_SAMPLE / 2 + 1];
    int fast[MAX_LANGS] = {0};
    Py_ssize_t tl = 0, nseen = 0;
    int toolong = 0, bail = 0;
    for (Py_ssize_t i = 0; i <= m; i++) {
        Py_UCS4 c = i < m ? PyUnicode_READ(kind, data, i) : ' ';
        if (Py_UNICODE_ISSPACE(c)) {
            if (tl && !toolong) {
                Py_ssize_t j = word_find(t, tok, tl);
                if (j >= 0) {
                    int dup = 0;
                    for (Py_ssize_t k = 0; k < nseen; k++) if (seen[k] == j) { dup = 1; break; }
                    if (!dup) {  /* tokens are separated by white space: at most m/2 + 1 */
                        seen[nseen++] = j;
                        if (t->slot[j].sole >= 0) fast[t->slot[j].sole]++;
                    }
                }
            }
            tl = 0; toolong = 0;
            continue;
        }
        Py_UCS4 lc = lower1(c);
        if (!lc && c) { bail = 1; break; }
        if (tl < t->maxlen) tok[tl++] = lc; else toolong = 1;  /* longer than any known word */
    }
    if (tok != small) PyMem_Free(tok);
    if (!bail && nseen >= 4 && t->nlangs) {
        int best = 0, top = -1, second = -1;
        for (int k = 0; k < t->nlangs; k++) {
            if (fast[k] > top) { second = top; top = fast[k]; best = k; }
            else if (fast[k] > second) second = fast[k];
        }
        if (t->nlangs < 2) second = 0;
        if (top >= 4 && second * 3 < top) {
            double tp = (double)top, sc = (double)second;
            double volume = tp / 6.0 < 1.0 ? tp / 6.0 : 1.0;
            return Py_BuildValue("(id)", best, (tp - sc) / tp * (0.4 + 0.6 * volume));
        }
    }
    Py_RETURN_NONE;
}

/* ---- readability, capitals and sentence ends ------------------------------------------- */

/* Byte maps of frankly.check._metrics._tables: vowel/other and letter/other. */
static unsigned char VOW[256], LET[256];
/* ASCII classes for the cuts: 0 other, 1 white space, 2 [.!?], 3 closing quote or bracket */
static unsigned char CLS[128];

static void tables(void) {
    memset(VOW, 'c', 256); memset(LET, ' ', 256);
    for (const char *p = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"; *p; p++)
        LET[(unsigned char)*p] = 'w';
    for (const char *p = "aeiouyAEIOUY"; *p; p++) VOW[(unsigned char)*p] = 'v';
    static const int ranges[4][2] = {{0xA0, 0xA6}, {0xA8, 0xB0}, {0xB2, 0xB7}, {0xB9, 0xBD}};
    for (int r = 0; r < 4; r++)
        for (int b = ranges[r][0]; b < ranges[r][1]; b++) {
            VOW[b] = VOW[b - 0x20] = 'v'; LET[b] = LET[b - 0x20] = 'w';
        }
    static const int cons[4] = {0xA7, 0xB1, 0x87, 0x91};
    for (int i = 0; i < 4; i++) LET[cons[i]] = 'w';
    memset(CLS, 0, sizeof(CLS));
    for (const char *p = " \t\n\v\f\r\x1c\x1d\x1e\x1f"; *p; p++) CLS[(unsigned char)*p] = 1;
    CLS['.'] = CLS['!'] = CLS['?'] = 2;
    CLS['"'] = CLS['\''] = CLS[')'] = CLS[']'] = 3;
}

/* UTF-8 bytes of c as str.encode("utf-8", "ignore") gives them (surrogates dropped). */
static inline int utf8(Py_UCS4 c, unsigned char *o) {
    if (c < 0x80) { o[0] = (unsigned char)c; return 1; }
    if (c < 0x800) { o[0] = 0xC0 | (c >> 6); o[1] = 0x80 | (c & 0x3F); return 2; }
    if (c >= 0xD800 && c <= 0xDFFF) return 0;
    if (c < 0x10000) {
        o[0] = 0xE0 | (c >> 12); o[1] = 0x80 | ((c >> 6) & 0x3F); o[2] = 0x80 | (c & 0x3F);
        return 3;
    }
    o[0] = 0xF0 | (c >> 18); o[1] = 0x80 | ((c >> 12) & 0x3F);
    o[2] = 0x80 | ((c >> 6) & 0x3F); o[3] = 0x80 | (c & 0x3F);
    return 4;
}

static inline int is_term(Py_UCS4 c) { return c == '.' || c == '!' || c == '?' || c == 0x2026; }
static inline int is_close(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0xBB || c == 0x201D || c == 0x2019 || c == ')' || c == ']';
}
static inline int cls(Py_UCS4 c) {
    if (c < 0x80) return CLS[c];
    if (c == 0x2026) return 2;
    if (c == 0xBB || c == 0x201D || c == 0x2019) return 3;
    return Py_UNICODE_ISSPACE(c) ? 1 : 0;
}

typedef struct { long words, syll, espace; int caps; } Figures;

/* One byte of b" " + text.encode("utf-8", "ignore") + b" ": "e " pairs on the raw bytes, then
   " w" and "cv" pairs after the byte maps with 0xC3 and "'" deleted. */
#define BYTE(x) do { unsigned char x_ = (x); \
        espace += (prevRaw == 'e') & (x_ == ' '); prevRaw = x_; \
        if (x_ != 0xC3 && x_ != '\'') { unsigned char l_ = LET[x_], v_ = VOW[x_]; \
            words += (prevL == ' ') & (l_ == 'w'); syll += (prevV == 'c') & (v_ == 'v'); \
            prevL = l_; prevV = v_; } } while (0)

static int append_int(PyObject *list, Py_ssize_t v) {
    PyObject *o = PyLong_FromSsize_t(v);
    if (!o) return -1;
    int r = PyList_Append(list, o);
    Py_DECREF(o);
    return r;
}

/* Cuts at [.!?…]+ then closers then white space (the cut is the white space's offset);
   specialised per string kind by the compiler. */
HOT int pass(int kind, const void *data, Py_ssize_t n, PyObject *cuts, Figures *f) {
    long words = 0, syll = 0, espace = 0;
    int caps = 0, prevUpper = 0, ok = 0;
    unsigned char prevL = ' ', prevV = 'c', prevRaw = ' ';
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        int k;
        if (c < 0x80) {
            BYTE(c);
            int up = (c - 'A') < 26u;
            caps |= up & prevUpper; prevUpper = up;
            k = CLS[c];
        } else {
            unsigned char b[4];
            int nb = utf8(c, b);
            for (int j = 0; j < nb; j++) BYTE(b[j]);
            if (nb) prevUpper = 0;  /* a dropped surrogate does not break a run of capitals */
            k = cls(c);
        }
        if (k == 1) {
            if (ok && append_int(cuts, i) < 0) return -1;
            ok = 0;
        } else if (k == 2) ok = 1;
        else if (k == 0) ok = 0;
    }
    BYTE(' ');
    f->words = words; f->syll = syll; f->espace = espace; f->caps = caps;
    return 0;
}

/* Blank lines: \n, not after [.!?…] or a closer, [ \t]*, \n; non-overlapping like finditer.
   Returns how many were added, or -1. */
static Py_ssize_t blank_lines(int kind, const void *data, Py_ssize_t n, PyObject *cuts) {
    Py_ssize_t added = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyUnicode_READ(kind, data, i) != '\n') continue;
        if (i > 0) {
            Py_UCS4 p = PyUnicode_READ(kind, data, i - 1);
            if (is_term(p) || is_close(p)) continue;
        }
        Py_ssize_t j = i + 1;
        while (j < n) {
            Py_UCS4 q = PyUnicode_READ(kind, data, j);
            if (q != ' ' && q != '\t') break;
            j++;
        }
        if (j < n && PyUnicode_READ(kind, data, j) == '\n') {
            if (append_int(cuts, j + 1) < 0) return -1;
            added++;
            i = j;
        }
    }
    return added;
}

static PyObject *shared(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "shared(text: str, table)");
        return NULL;
    }
    PyObject *text = args[0];
    Words *t = PyCapsule_GetPointer(args[1], WORDS_NAME);
    if (!t || READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    PyObject *det = verdict(t, kind, data, n);
    if (!det) return NULL;
    PyObject *cuts = PyList_New(0);
    if (!cuts) { Py_DECREF(det); return NULL; }
    Figures fig;
    int r;
    if (kind == PyUnicode_1BYTE_KIND) r = pass(PyUnicode_1BYTE_KIND, data, n, cuts, &fig);
    else if (kind == PyUnicode_2BYTE_KIND) r = pass(PyUnicode_2BYTE_KIND, data, n, cuts, &fig);
    else r = pass(PyUnicode_4BYTE_KIND, data, n, cuts, &fig);
    Py_ssize_t added = r < 0 ? -1 : blank_lines(kind, data, n, cuts);
    if (added < 0) goto fail;
    if (added) {  /* merge: sorted, without repeats */
        if (PyList_Sort(cuts) < 0) goto fail;
        PyObject *out = PyList_New(0);
        if (!out) goto fail;
        Py_ssize_t len = PyList_GET_SIZE(cuts), prev = -1;
        for (Py_ssize_t k = 0; k < len; k++) {
            Py_ssize_t v = PyLong_AsSsize_t(PyList_GET_ITEM(cuts, k));
            if (v == prev) continue;
            prev = v;
            if (PyList_Append(out, PyList_GET_ITEM(cuts, k)) < 0) { Py_DECREF(out); goto fail; }
        }
        Py_SETREF(cuts, out);
    }
    Py_ssize_t maxgap = 0, prevcut = 0, len = PyList_GET_SIZE(cuts);
    for (Py_ssize_t k = 0; k <= len; k++) {
        Py_ssize_t cut = k < len ? PyLong_AsSsize_t(PyList_GET_ITEM(cuts, k)) : n;
        if (cut - prevcut > maxgap) maxgap = cut - prevcut;
        prevcut = cut;
    }
    return Py_BuildValue("(NNlllOn)", det, cuts, fig.words, fig.syll, fig.espace,
                         fig.caps ? Py_True : Py_False, maxgap);
fail:
    Py_DECREF(det); Py_DECREF(cuts);
    return NULL;
}

/* ---- the phrase scan ------------------------------------------------------------------- */

#define AUTO_NAME "frankly._speedups.automaton"
/* A dense table of more entries than this is not worth it: the pack uses the Python scan. */
#define MAX_CELLS ((size_t)1 << 25)  /* 128 MB */

/* A dense Aho-Corasick DFA over the code points that occur in the keys (every other code
   point is class 0), states numbered breadth-first so the shallow ones share cache lines. */
typedef struct {
    Py_ssize_t nkeys;
    int nclasses, mask_code, month_code;
    int32_t *next;        /* nstates * nclasses */
    int32_t *out_key;     /* key ending exactly at this state, or -1 */
    int32_t *out_link;    /* nearest state on the fail chain with an output, or -1 */
    uint16_t *cls;        /* BMP code point -> class */
    Py_ssize_t *klen;
    unsigned char *need_left, *need_right;
    int *special;
    PyObject **part;      /* per key: the mask part (owned reference) */
} Auto;

static void auto_clear(Auto *a) {
    if (a->part)
        for (Py_ssize_t i = 0; i < a->nkeys; i++) Py_XDECREF(a->part[i]);
    PyMem_Free(a->next); PyMem_Free(a->out_key); PyMem_Free(a->out_link); PyMem_Free(a->cls);
    PyMem_Free(a->klen); PyMem_Free(a->need_left); PyMem_Free(a->need_right);
    PyMem_Free(a->special); PyMem_Free(a->part); PyMem_Free(a);
}

static void auto_free(PyObject *cap) {
    Auto *a = PyCapsule_GetPointer(cap, AUTO_NAME);
    if (a) auto_clear(a);
}

static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *keys, *values;
    int mask_code, month_code;
    if (!PyArg_ParseTuple(args, "O!O!ii", &PyList_Type, &keys, &PyList_Type, &values,
                          &mask_code, &month_code))
        return NULL;
    Py_ssize_t nkeys = PyList_GET_SIZE(keys);
    if (PyList_GET_SIZE(values) != nkeys || nkeys >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "build: keys and values differ in length");
        return NULL;
    }
    Auto *a = PyMem_Calloc(1, sizeof(Auto));
    if (!a) return PyErr_NoMemory();
    int32_t *next = NULL, *fail = NULL, *queue = NULL, *newid = NULL;
    a->nkeys = nkeys; a->mask_code = mask_code; a->month_code = month_code;
    a->cls = PyMem_Calloc(0x10000, sizeof(uint16_t));
    a->klen = PyMem_Calloc(nkeys + 1, sizeof(Py_ssize_t));
    a->need_left = PyMem_Calloc(nkeys + 1, 1);
    a->need_right = PyMem_Calloc(nkeys + 1, 1);
    a->special = PyMem_Calloc(nkeys + 1, sizeof(int));
    a->part = PyMem_Calloc(nkeys + 1, sizeof(PyObject *));
    if (!a->cls || !a->klen || !a->need_left || !a->need_right || !a->special || !a->part) {
        PyErr_NoMemory(); goto fail;
    }
    size_t total = 1;
    int C = 1;
    for (Py_ssize_t i = 0; i < nkeys; i++) {
        PyObject *k = PyList_GET_ITEM(keys, i), *v = PyList_GET_ITEM(values, i);
        if (!PyUnicode_Check(k) || READY(k) < 0 || !PyTuple_Check(v) || PyTuple_GET_SIZE(v) < 6) {
            PyErr_SetString(PyExc_TypeError, "build: keys are str, values 6-tuples");
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(k);
        if (!n) { PyErr_SetString(PyExc_ValueError, "build: empty key"); goto fail; }
        total += (size_t)n;
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_UCS4 c = PyUnicode_READ_CHAR(k, j);
            if (c >= 0x10000) { PyErr_SetString(PyExc_ValueError, "build: key beyond the BMP"); goto fail; }
            if (!a->cls[c]) {
                if (C == 0xFFFF) { PyErr_SetString(PyExc_ValueError, "build: too many characters"); goto fail; }
                a->cls[c] = (uint16_t)C++;
            }
        }
        a->klen[i] = n;
        int l = PyObject_IsTrue(PyTuple_GET_ITEM(v, 1)), r = PyObject_IsTrue(PyTuple_GET_ITEM(v, 2));
        long sp = PyLong_AsLong(PyTuple_GET_ITEM(v, 4));
        if (l < 0 || r < 0 || (sp == -1 && PyErr_Occurred())) goto fail;
        a->need_left[i] = (unsigned char)l; a->need_right[i] = (unsigned char)r;
        a->special[i] = (int)sp;
        a->part[i] = Py_NewRef(PyTuple_GET_ITEM(v, 5));
    }
    a->nclasses = C;
    if (total >= INT32_MAX || total > MAX_CELLS / (size_t)C) {
        PyErr_SetString(PyExc_ValueError, "build: too many keys for a dense table");
        goto fail;
    }
    /* The trie, then the fail links breadth-first, filling the missing moves. 0 is "no move
       yet" (the root is nobody's child): zeroed pages that the trie never reaches (it has
       far fewer states than key characters) are never touched, then given back. */
    next = PyMem_Calloc(total * C, sizeof(int32_t));
    a->out_key = PyMem_Malloc(sizeof(int32_t) * total);
    if (!next || !a->out_key) { PyErr_NoMemory(); goto fail; }
    for (size_t i = 0; i < total; i++) a->out_key[i] = -1;
    int32_t ns = 1;
    for (Py_ssize_t i = 0; i < nkeys; i++) {
        PyObject *k = PyList_GET_ITEM(keys, i);
        int32_t s = 0;
        for (Py_ssize_t j = 0; j < a->klen[i]; j++) {
            size_t cell = (size_t)s * C + a->cls[PyUnicode_READ_CHAR(k, j)];
            if (!next[cell]) next[cell] = ns++;
            s = next[cell];
        }
        if (a->out_key[s] < 0) a->out_key[s] = (int32_t)i;  /* a repeated key: the first */
    }
    int32_t *shrunk = PyMem_Realloc(next, sizeof(int32_t) * (size_t)ns * C);
    if (shrunk) next = shrunk;
    fail = PyMem_Calloc(ns, sizeof(int32_t));
    queue = PyMem_Malloc(sizeof(int32_t) * ns);
    a->out_link = PyMem_Malloc(sizeof(int32_t) * ns);
    if (!fail || !queue || !a->out_link) { PyErr_NoMemory(); goto fail; }
    int32_t qh = 0, qt = 0;
    a->out_link[0] = -1;
    for (int c = 0; c < C; c++) {
        int32_t t = next[c];  /* a missing move from the root stays at the root */
        if (t) { a->out_link[t] = -1; queue[qt++] = t; }
    }
    while (qh < qt) {
        int32_t s = queue[qh++];
        for (int c = 0; c < C; c++) {
            int32_t t = next[(size_t)s * C + c], f = next[(size_t)fail[s] * C + c];
            if (!t) { next[(size_t)s * C + c] = f; continue; }
            fail[t] = f;
            a->out_link[t] = a->out_key[f] >= 0 ? f : a->out_link[f];
            queue[qt++] = t;
        }
    }
    /* renumber breadth-first into a table of exactly ns states */
    newid = PyMem_Malloc(sizeof(int32_t) * ns);
    int32_t *next2 = PyMem_Malloc(sizeof(int32_t) * (size_t)ns * C);
    int32_t *ok2 = PyMem_Malloc(sizeof(int32_t) * ns), *ol2 = PyMem_Malloc(sizeof(int32_t) * ns);
    if (!newid || !next2 || !ok2 || !ol2) {
        PyMem_Free(next2); PyMem_Free(ok2); PyMem_Free(ol2);
        PyErr_NoMemory(); goto fail;
    }
    newid[0] = 0;
    for (int32_t q = 0; q < qt; q++) newid[queue[q]] = q + 1;
    for (int32_t s = 0; s < ns; s++) {
        int32_t to = newid[s];
        for (int c = 0; c < C; c++) next2[(size_t)to * C + c] = newid[next[(size_t)s * C + c]];
        ok2[to] = a->out_key[s];
        ol2[to] = a->out_link[s] >= 0 ? newid[a->out_link[s]] : -1;
    }
    PyMem_Free(next); PyMem_Free(a->out_key); PyMem_Free(a->out_link);
    PyMem_Free(fail); PyMem_Free(queue); PyMem_Free(newid);
    a->next = next2; a->out_key = ok2; a->out_link = ol2;
    PyObject *cap = PyCapsule_New(a, AUTO_NAME, auto_free);
    if (!cap) auto_clear(a);
    return cap;
fail:
    PyMem_Free(next); PyMem_Free(fail); PyMem_Free(queue); PyMem_Free(newid);
    auto_clear(a);
    return NULL;
}

static inline int alnum_at(int kind, const void *d, Py_ssize_t i) {
    Py_UCS4 c = PyUnicode_READ(kind, d, i);
    if (c < 128) return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
    return Py_UNICODE_ISALNUM(c);
}

/* by_rule[rule][role].append((start, end, payload)) for each (rule, role, payload) slot */
static int add_hits(PyObject *by_rule, PyObject *slots, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t n = PyTuple_GET_SIZE(slots);
    PyObject *from = PyLong_FromSsize_t(start), *to = from ? PyLong_FromSsize_t(end) : NULL;
    int result = -1;
    if (!to) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PyTuple_GET_ITEM(slots, i);
        if (!PyTuple_Check(e) || PyTuple_GET_SIZE(e) != 3) {
            PyErr_SetString(PyExc_TypeError, "scan: a slot is (rule, role, payload)");
            goto done;
        }
        PyObject *rule = PyTuple_GET_ITEM(e, 0), *role = PyTuple_GET_ITEM(e, 1);
        PyObject *roles = PyDict_GetItemWithError(by_rule, rule);  /* borrowed */
        if (!roles) {
            if (PyErr_Occurred() || !(roles = PyDict_New())) goto done;
            int r = PyDict_SetItem(by_rule, rule, roles);
            Py_DECREF(roles);  /* by_rule holds it */
            if (r < 0) goto done;
        }
        PyObject *lst = PyDict_GetItemWithError(roles, role);
        if (!lst) {
            if (PyErr_Occurred() || !(lst = PyList_New(0))) goto done;
            int r = PyDict_SetItem(roles, role, lst);
            Py_DECREF(lst);
            if (r < 0) goto done;
        }
        PyObject *hit = PyTuple_New(3);
        if (!hit) goto done;
        PyTuple_SET_ITEM(hit, 0, Py_NewRef(from));
        PyTuple_SET_ITEM(hit, 1, Py_NewRef(to));
        PyTuple_SET_ITEM(hit, 2, Py_NewRef(PyTuple_GET_ITEM(e, 2)));
        int r = PyList_Append(lst, hit);
        Py_DECREF(hit);
        if (r < 0) goto done;
    }
    result = 0;
done:
    Py_XDECREF(from); Py_XDECREF(to);
    return result;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *cap, *low, *text, *live;
    if (!PyArg_ParseTuple(args, "OUUO!", &cap, &low, &text, &PyList_Type, &live)) return NULL;
    Auto *a = PyCapsule_GetPointer(cap, AUTO_NAME);
    if (!a || READY(low) < 0 || READY(text) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(low);
    if (PyUnicode_GET_LENGTH(text) != n || PyList_GET_SIZE(live) != a->nkeys) {
        PyErr_SetString(PyExc_ValueError, "scan: text and lower case differ, or live has the wrong size");
        return NULL;
    }
    int kind = PyUnicode_KIND(low), tkind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(low), *td = PyUnicode_DATA(text);
    PyObject *by_rule = PyDict_New(), *parts = NULL;
    if (!by_rule) return NULL;
    const int C = a->nclasses;
    int32_t s = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        s = a->next[(size_t)s * C + (c < 0x10000 ? a->cls[c] : 0)];
        for (int32_t o = a->out_key[s] >= 0 ? s : a->out_link[s]; o >= 0; o = a->out_link[o]) {
            int32_t key = a->out_key[o];
            PyObject *slots = PyList_GET_ITEM(live, key);
            int special = a->special[key];
            if (slots == Py_None && special != a->mask_code) continue;
            if (slots != Py_None && (!PyTuple_Check(slots) || PyTuple_GET_SIZE(slots) != 2 ||
                                     !PyTuple_Check(PyTuple_GET_ITEM(slots, 0)) ||
                                     !PyTuple_Check(PyTuple_GET_ITEM(slots, 1)))) {
                PyErr_SetString(PyExc_TypeError, "scan: live holds None or (closed, opened)");
                goto fail;
            }
            Py_ssize_t end = i + 1, start = end - a->klen[key];
            if (a->need_left[key] && start && alnum_at(kind, d, start - 1)) continue;
            if (!a->need_right[key] || end >= n || !alnum_at(kind, d, end)) {
                if (special) {
                    if (special == a->month_code) {
                        if (Py_UNICODE_ISUPPER(PyUnicode_READ(tkind, td, start)))
                            continue;  /* "May" the month is not "may" the hedge */
                    } else {
                        if (!parts && !(parts = PySet_New(NULL))) goto fail;
                        if (PySet_Add(parts, a->part[key]) < 0) goto fail;
                    }
                }
                if (slots != Py_None) {
                    PyObject *closed = PyTuple_GET_ITEM(slots, 0);
                    if (PyTuple_GET_SIZE(closed) && add_hits(by_rule, closed, start, end) < 0)
                        goto fail;
                }
            }
            if (slots != Py_None) {
                PyObject *opened = PyTuple_GET_ITEM(slots, 1);
                if (PyTuple_GET_SIZE(opened)) {
                    Py_ssize_t stop = end;
                    while (stop < n && (alnum_at(kind, d, stop) || PyUnicode_READ(kind, d, stop) == '-'))
                        stop++;
                    if (add_hits(by_rule, opened, start, stop) < 0) goto fail;
                }
            }
        }
    }
    return Py_BuildValue("(NN)", by_rule, parts ? parts : Py_NewRef(Py_None));
fail:
    Py_DECREF(by_rule); Py_XDECREF(parts);
    return NULL;
}

/* str.lower(text), faster for the usual message: characters below U+0100 through a table
 * (their full lower-case mapping is one character below U+0100), others kept when they have
 * no lower-case form. Any other character (capital Greek, "İ"...) hands the whole text to
 * str.lower, which also handles the final sigma and mappings to several characters. The
 * result has the text's kind: the characters that decide it are kept or the fallback runs. */
static PyObject *lower(PyObject *self, PyObject *text) {
    static Py_UCS4 low1[256];
    static int ready = 0;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "lower(text: str)");
        return NULL;
    }
    if (!ready) {
        for (Py_UCS4 c = 0; c < 256; c++) low1[c] = Py_UNICODE_TOLOWER(c);
        ready = 1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *src = PyUnicode_DATA(text);
    PyObject *out = PyUnicode_New(n, PyUnicode_MAX_CHAR_VALUE(text));
    if (out == NULL) return NULL;
    void *dst = PyUnicode_DATA(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, src, i);
        if (c < 256) {
            c = low1[c];
        } else if (Py_UNICODE_TOLOWER(c) != c || Py_UNICODE_ISUPPER(c) ||
                   Py_UNICODE_ISTITLE(c)) {
            Py_DECREF(out);
            return PyObject_CallMethod(text, "lower", NULL);
        }
        PyUnicode_WRITE(kind, dst, i, c);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"words", words, METH_VARARGS, "words(words, sole, nlangs, sample) -> table for shared()"},
    {"shared", (PyCFunction)(void (*)(void))shared, METH_FASTCALL,
     "shared(text, table) -> (verdict|None, cuts, words, vowel_groups, e_space, caps, max_gap)"},
    {"build", build, METH_VARARGS, "build(keys, values, mask_code, month_code) -> automaton"},
    {"scan", scan, METH_VARARGS, "scan(automaton, low, text, live) -> (by_rule, mask_parts|None)"},
    {"lower", lower, METH_O, "lower(text) -> text.lower()"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "frankly._speedups",
                                    "Optional accelerator for frankly.check.", -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) {
    tables();
    return PyModule_Create(&module);
}
