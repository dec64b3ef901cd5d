pragma circom 2.1.0;

// zkinfer's hand-written templates. Every value the prover supplies (<--) is pinned by constraints
// (===, <==) right where it is computed; every range check has an explicit width far below the
// field size, so no value has two decompositions.
//
// Decompositions fold their sum into the lowest bit: bits 1..n-1 are signals, bit 0 is the
// expression value - sum(bits[k] * 2^k), and its booleanity check b0 * (b0 - 1) = 0 is at once the
// check that the bits add up to the value. n constraints for n bits, and no linear constraint:
// circom's --O2 has nothing to eliminate, which keeps compiling large models fast. Requantize,
// whose value has a layer's whole fan-in, does it differently (see there). A bit that is a signal
// is checked as b * b === b, not b * (b - 1) === 0: the same constraint with one coefficient less
// in A, and snarkjs's proving key stores A's and B's coefficients (C's cost it nothing). Powers of two
// in loops are running products (power += power): `2 ** k` is a field exponentiation at witness
// time, and it was most of the witness generator's time.

include "poseidon.circom";

// The sum of terms[0..n-1] (n >= 1), added pairwise as a balanced tree. The result is the same
// linear expression as a left-to-right sum (the same R1CS), but circom builds it by copying
// expressions of about n/2, n/4, ... terms, n log n term copies instead of n^2/2: circom's compile
// time follows the squared fan-in of the linear expressions it builds, not the constraint count.
function pairwiseSum(n, terms) {
    for (var width = n; width > 1; width = (width + 1) \ 2) {
        for (var i = 0; i < width \ 2; i++) {
            terms[i] = terms[2 * i] + terms[2 * i + 1];
        }
        if (width % 2 == 1) {
            terms[width \ 2] = terms[width - 1];
        }
    }
    return terms[0];
}

// Bit k of a folded decomposition: the expression b0 for k = 0, else bits[k - 1].
function bitOf(k, b0, bits) {
    return k == 0 ? b0 : bits[k - 1];
}

// 0 <= in < 2^n. n <= 250 keeps 2^n below the field modulus: the decomposition is unique, and no
// x + p alias passes (a 254-bit decomposition without an alias check would let a negative value
// look positive).
template RangeCheck(n) {
    assert(n >= 1 && n <= 250);
    signal input in;
    signal bits[n - 1];
    var rest = 0;
    var power = 2; // 2^k
    for (var k = 1; k < n; k++) {
        bits[k - 1] <-- (in >> k) & 1;
        bits[k - 1] * bits[k - 1] === bits[k - 1];
        rest += bits[k - 1] * power;
        power += power;
    }
    var b0 = in - rest;
    b0 * (b0 - 1) === 0;
}

// One requantized value of a dense or convolution layer:
//   value = bias + sum(W[i] * x[i])                 (constant weights: free in R1CS)
//   q = floor((value + 2^(shift-1)) / 2^shift)      (shift 0: q = value)
//   out = q                                         mode 0 (linear)
//   out = min(max(0, q), clipMax)                   mode 1 (relu; no clip when clipNq = 0)
//   out = q * 2^leakBits if q >= 0 else q * leakNum mode 2 (leaky relu, exact: the next layer absorbs 2^leakBits)
// One decomposition of value + rounding + offset * 2^shift into shift + nq bits pins the rounding
// remainder (the low shift bits), the range of q (the high nq bits) and its sign at once:
//   mode 0: offset = -(least q): q = high - offset;
//   modes 1, 2: offset = 2^(nq-1): the top bit says q >= 0; below it, the bits are q when it is.
// nq = 0: every input in range gives the same result, and out is the constant `offset`.
// The clip is a second decomposition of relu - clipMax + 2^(clipNq-1): out = relu - max(0, relu - clipMax).
// The planner (circuits/plan.ts) derives every width and offset from the exact bounds of value.
template Requantize(n, W, bias, shift, nq, offset, mode, leakNum, leakBits, clipNq, clipMax) {
    signal input x[n];
    signal output out;
    if (nq == 0) {
        out <== offset;
    } else {
        var total = shift + nq;
        assert(total <= 250);
        var terms[n];
        for (var i = 0; i < n; i++) {
            terms[i] = W[i] * x[i];
        }
        var value = bias + (shift > 0 ? 2 ** (shift - 1) : 0) + offset * 2 ** shift + pairwiseSum(n, terms);
        // Unlike the folded decompositions below, bit 0 is a signal and the sum is a constraint of
        // its own, b0 * b0 = value - rest: b0 is boolean, so b0 * b0 = b0 and this is the sum
        // check. Written as a product, circom's --O2 cannot substitute it back into a booleanity
        // check, and value's fan-in (every W[i] * x[i]) is written once, in C: snarkjs's proving
        // key stores only A's and B's coefficients, and the prover evaluates only those. Folded,
        // the fan-in sat on both A and B (74% of LeNet's key); this costs one constraint more.
        signal b0 <-- value & 1;
        b0 * b0 === b0;
        signal bits[total - 1];
        var rest = 0;
        var power = 2; // 2^k
        for (var k = 1; k < total; k++) {
            bits[k - 1] <-- (value >> k) & 1;
            bits[k - 1] * bits[k - 1] === bits[k - 1];
            rest += bits[k - 1] * power;
            power += power;
        }
        b0 * b0 === value - rest;

        var sign = bitOf(total - 1, b0, bits);
        var low = 0; // the high bits below the sign (modes 1, 2), or all of them (mode 0)
        power = 1;
        for (var k = 0; k < nq - (mode == 0 ? 0 : 1); k++) {
            low += bitOf(shift + k, b0, bits) * power;
            power += power;
        }
        if (mode == 0) {
            out <== low - offset;
        } else if (mode == 2) {
            // q = low + sign * 2^(nq-1) - offset = low - (1 - sign) * 2^(nq-1); out - leakNum * q = sign * (2^leakBits - leakNum) * q
            var q = low + sign * offset - offset;
            out <== leakNum * q + sign * ((2 ** leakBits - leakNum) * q);
        } else if (clipNq == 0) {
            out <== sign * low;
        } else {
            signal relu <== sign * low;
            component clip = ClipMax(clipNq, clipMax);
            clip.in <== relu;
            out <== clip.out;
        }
    }
}

// out = min(in, max) for in >= 0: in - max + 2^(nq-1) is decomposed into nq bits; its top bit
// says in >= max, the bits below it are then in - max, and out = in - that excess.
template ClipMax(nq, max) {
    signal input in;
    signal output out;
    var value = in - max + 2 ** (nq - 1);
    signal bits[nq - 1];
    var rest = 0;
    var power = 2; // 2^k
    for (var k = 1; k < nq; k++) {
        bits[k - 1] <-- (value >> k) & 1;
        bits[k - 1] * bits[k - 1] === bits[k - 1];
        rest += bits[k - 1] * power;
        power += power;
    }
    var b0 = value - rest;
    b0 * (b0 - 1) === 0;
    var excess = 0;
    power = 1;
    for (var k = 0; k < nq - 1; k++) {
        excess += bitOf(k, b0, bits) * power;
        power += power;
    }
    out <== in - bitOf(nq - 1, b0, bits) * excess;
}

// out = max(a, b) = b + max(0, a - b): a - b + 2^(nq-1) is decomposed into nq bits, its top bit
// says a >= b, and the bits below it are then a - b.
// mode 0: a <= b for every input in range: out = b. mode 1: a >= b always: out = a.
template MaxPair(nq, mode) {
    signal input a;
    signal input b;
    signal output out;
    if (mode == 0) {
        out <== b;
    } else if (mode == 1) {
        out <== a;
    } else {
        var value = a - b + 2 ** (nq - 1);
        signal bits[nq - 1];
        var rest = 0;
        var power = 2; // 2^k
        for (var k = 1; k < nq; k++) {
            bits[k - 1] <-- (value >> k) & 1;
            bits[k - 1] * bits[k - 1] === bits[k - 1];
            rest += bits[k - 1] * power;
            power += power;
        }
        var b0 = value - rest;
        b0 * (b0 - 1) === 0;
        var gain = 0;
        power = 1;
        for (var k = 0; k < nq - 1; k++) {
            gain += bitOf(k, b0, bits) * power;
            power += power;
        }
        out <== b + bitOf(nq - 1, b0, bits) * gain;
    }
}

// label = the index of the first maximum of in[n].
// The prover names the index as a one-hot choice; constraints force it to be right: the chosen
// value max satisfies max - in[i] >= 0 for every i, and max - in[i] >= 1 for every i before the
// choice (so ties go to the first index). Differences are range-checked in nBits bits, enough
// for the largest difference the planner found possible.
template ArgMax(n, nBits) {
    signal input in[n];
    signal output label;
    signal choice[n];
    signal picked[n];

    var best = 0;
    for (var i = 1; i < n; i++) {
        if (in[i] > in[best]) {
            best = i;
        }
    }

    var count = 0;
    var index = 0;
    var max = 0;
    for (var i = 0; i < n; i++) {
        choice[i] <-- i == best ? 1 : 0;
        choice[i] * choice[i] === choice[i];
        picked[i] <== choice[i] * in[i];
        count += choice[i];
        index += i * choice[i];
        max += picked[i];
    }
    count === 1;
    label <== index;

    component gap[n];
    var chosenLater = 0; // 1 when the choice is after i
    for (var i = n - 1; i >= 0; i--) {
        gap[i] = RangeCheck(nBits);
        gap[i].in <== max - in[i] - chosenLater;
        chosenLater += choice[i];
    }
}

// Hash m field elements with circomlib's Poseidon, at most 16 per call:
// h = Poseidon(in[0..15]), then h = Poseidon(h, next 15), and so on.
template PoseidonChain(m) {
    signal input in[m];
    signal output out;
    var first = m < 16 ? m : 16;
    var calls = 1 + (m - first + 14) \ 15;
    component h[calls];
    h[0] = Poseidon(first);
    for (var i = 0; i < first; i++) {
        h[0].inputs[i] <== in[i];
    }
    var used = first;
    for (var c = 1; c < calls; c++) {
        var take = m - used < 15 ? m - used : 15;
        h[c] = Poseidon(take + 1);
        h[c].inputs[0] <== h[c - 1].out;
        for (var i = 0; i < take; i++) {
            h[c].inputs[i + 1] <== in[used + i];
        }
        used += take;
    }
    out <== h[calls - 1].out;
}

// Range-check n values to [min, min + 2^bits) and pack them, perElement to a field element, as
// bits-wide digits (value - min): packed[p] holds values p*perElement ... The range checks make the
// packing injective, so a hash of the packed elements commits to the values.
template RangePack(n, bits, min, perElement) {
    assert(bits * perElement <= 248);
    signal input in[n];
    var nPacked = (n + perElement - 1) \ perElement;
    signal output packed[nPacked];
    component range[n];
    var sum[nPacked];
    for (var p = 0; p < nPacked; p++) {
        sum[p] = 0;
    }
    var digit = 2 ** bits;
    var power = 1; // digit^(i % perElement)
    for (var i = 0; i < n; i++) {
        range[i] = RangeCheck(bits);
        range[i].in <== in[i] - min;
        sum[i \ perElement] += (in[i] - min) * power;
        power = (i + 1) % perElement == 0 ? 1 : power * digit;
    }
    for (var p = 0; p < nPacked; p++) {
        packed[p] <== sum[p];
    }
}

// Range-check n inputs to [min, min + 2^bits) and commit to them:
// commitment = PoseidonChain(salt, packed[0], packed[1], ...) (see RangePack).
template InputCommitment(n, bits, min, perElement) {
    signal input in[n];
    signal input salt;
    signal output commitment;
    var nPacked = (n + perElement - 1) \ perElement;
    component pack = RangePack(n, bits, min, perElement);
    pack.in <== in;
    component hash = PoseidonChain(nPacked + 1);
    hash.in[0] <== salt;
    for (var p = 0; p < nPacked; p++) {
        hash.in[p + 1] <== pack.packed[p];
    }
    commitment <== hash.out;
}

// One output of a dense or convolution layer whose weights are private inputs (params hashed):
// out = bias + sum(w[i] * x[i]), one constraint per product.
template Dot(n) {
    signal input w[n];
    signal input x[n];
    signal input bias;
    signal output out;
    signal product[n];
    var terms[n];
    for (var i = 0; i < n; i++) {
        product[i] <== w[i] * x[i];
        terms[i] = product[i];
    }
    out <== bias + pairwiseSum(n, terms);
}
