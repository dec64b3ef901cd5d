pragma circom 2.1.0;

// Table activations (model/tables.ts, circuits/emit/table.ts): out = table[clamp(q)], with q the
// requantized value exactly as Requantize computes it. Included after zkinfer.circom (pairwiseSum,
// bitOf), only by circuits that have a table op.

// One table activation of a dense or convolution output (or of a signal, n = 1, W = [1]):
//   value = bias + sum(W[i] * x[i]);  q = floor((value + 2^(shift-1)) / 2^shift)
//   out = table[clamp(q, -2^(bits-1), 2^(bits-1) - 1) + 2^(bits-1)]
// One decomposition of value + rounding + 2^(nq-1) * 2^shift into shift + nq bits, as Requantize's
// relu mode: the low shift bits are the rounding remainder, the top bit s says q >= 0. The table
// is looked up from the decomposition's own bits, k = min(nq, bits) of them: the k - 1 lowest
// bits of q and s as the index's top bit, so index = q + 2^(k-1) whenever q is in the domain.
//
// The lookup (constraints: 2^low - low - 1 + 2^high - 1, with low + high = k):
// - the products of every subset of the low index bits (the multilinear monomials);
// - for each value h of the high bits, the entries table[h * 2^low + l] are a linear combination
//   of those monomials (coef, a Moebius transform the emitter computes): one leaf per h, free;
// - a binary multiplexer tree over the high bits, lowest first: node = left + bit * (right - left),
//   one product per inner node.
// clamp = 1 (nq > k: q can leave the domain): the nq - k bits between the index bits and s are
// all 1 - s exactly when q is in the domain; u counts those that are not, over = (u != 0)
// (pinned by u * inv = over and u * (1 - over) = 0; with one such bit, over = u), and the result
// is the domain's end the sign points to, lowEdge or highEdge, when over.
// nq = 0: every input in range gives the same result, coef[0].
template TableActivation(n, W, bias, shift, nq, k, high, clamp, coef, lowEdge, highEdge) {
    signal input x[n];
    signal output out;
    if (nq == 0) {
        out <== coef[0];
    } else {
        var total = shift + nq;
        assert(total <= 250 && k >= 1 && k <= nq && high >= 0 && high <= k);
        var terms[n];
        for (var i = 0; i < n; i++) {
            terms[i] = W[i] * x[i];
        }
        var value = bias + (shift > 0 ? 2 ** (shift - 1) : 0) + 2 ** (nq - 1) * 2 ** shift + pairwiseSum(n, terms);
        // As in Requantize: bit 0 a signal, the sum checked as b0 * b0 = value - rest.
        signal b0 <-- value & 1;
        b0 * b0 === b0;
        signal bits[total - 1];
        var rest = 0;
        var power = 2; // 2^k
        for (var i = 1; i < total; i++) {
            bits[i - 1] <-- (value >> i) & 1;
            bits[i - 1] * bits[i - 1] === bits[i - 1];
            rest += bits[i - 1] * power;
            power += power;
        }
        b0 * b0 === value - rest;
        var sign = bitOf(total - 1, b0, bits);

        var index[k];
        for (var i = 0; i < k - 1; i++) {
            index[i] = bitOf(shift + i, b0, bits);
        }
        index[k - 1] = sign;

        var low = k - high;
        var nLow = 2 ** low;
        var nHigh = 2 ** high;
        var monomial[nLow];
        monomial[0] = 1;
        signal lowProduct[nLow - low - 1];
        var used = 0;
        for (var set = 1; set < nLow; set++) {
            var top = 0;
            while (2 ** (top + 1) <= set) {
                top++;
            }
            var others = set - 2 ** top;
            if (others == 0) {
                monomial[set] = index[top];
            } else {
                lowProduct[used] <== monomial[others] * index[top];
                monomial[set] = lowProduct[used];
                used++;
            }
        }
        var node[nHigh];
        for (var h = 0; h < nHigh; h++) {
            node[h] = 0;
            for (var set = 0; set < nLow; set++) {
                node[h] += coef[h * nLow + set] * monomial[set];
            }
        }
        signal muxProduct[nHigh - 1];
        used = 0;
        for (var level = 0; level < high; level++) {
            for (var h = 0; h < 2 ** (high - level - 1); h++) {
                muxProduct[used] <== index[low + level] * (node[2 * h + 1] - node[2 * h]);
                node[h] = node[2 * h] + muxProduct[used];
                used++;
            }
        }

        if (clamp == 0) {
            out <== node[0];
        } else {
            var extra = nq - k;
            var ones = 0;
            for (var e = 0; e < extra; e++) {
                ones += bitOf(shift + k - 1 + e, b0, bits);
            }
            // u = (number of extra bits that are 0) when s = 0, (number that are 1) when s = 1
            signal signedOnes <== sign * (2 * ones - extra);
            var u = extra - ones + signedOnes;
            var over;
            if (extra == 1) {
                over = u;
            } else {
                signal inv <-- u != 0 ? 1 / u : 0;
                signal isOver <== u * inv;
                u * (1 - isOver) === 0;
                over = isOver;
            }
            out <== node[0] + over * (lowEdge + sign * (highEdge - lowEdge) - node[0]);
        }
    }
}

// Softmax of one row of n values (model/softmax.ts): out[i] = floor(e_i * 2^probabilityBits / S),
// e_i the exp table at in[i] - max (a TableActivation of those two terms), S = sum e_i.
// - The maximum: the prover names an index (a one-hot choice), max is its value, and
//   max - in[i] >= 0 is range-checked in diffBits bits for every i: max is the row's maximum
//   whichever index of a tie is named.
// - The division: the prover supplies the quotient and the remainder r, pinned by
//   e_i * 2^probabilityBits = quotient * S + r with quotient in [0, 2^(probabilityBits+1)),
//   r in [0, 2^sumBits) and S - 1 - r in [0, 2^sumBits): 0 <= r < S. Every term is below 2^100,
//   far below the field, so the equation holds over the integers (no wrap: a field inverse for
//   the quotient would be out of its range), and quotient and r are the floor and the remainder.
//   S >= e at the maximum = table[0 code] >= 1 (the QModel's table has 2^expBits there).
template Softmax(n, diffBits, shift, nq, k, high, clamp, coef, lowEdge, highEdge, probabilityBits, sumBits) {
    signal input in[n];
    signal output out[n];
    assert(diffBits + 1 <= 250 && probabilityBits + 1 + sumBits <= 200);

    var best = 0;
    for (var i = 1; i < n; i++) {
        if (in[i] > in[best]) {
            best = i;
        }
    }
    signal choice[n];
    signal picked[n];
    var count = 0;
    var chosen = 0;
    for (var i = 0; i < n; i++) {
        choice[i] <-- i == best ? 1 : 0;
        choice[i] * choice[i] === choice[i];
        picked[i] <== choice[i] * in[i];
        count += choice[i];
        chosen += picked[i];
    }
    count === 1;
    signal max <== chosen;
    component below[n];
    for (var i = 0; i < n; i++) {
        below[i] = RangeCheck(diffBits);
        below[i].in <== max - in[i];
    }

    var difference[2] = [1, -1];
    component e[n];
    var sum = 0;
    for (var i = 0; i < n; i++) {
        e[i] = TableActivation(2, difference, 0, shift, nq, k, high, clamp, coef, lowEdge, highEdge);
        e[i].x[0] <== in[i];
        e[i].x[1] <== max;
        sum += e[i].out;
    }

    signal remainder[n];
    component quotientRange[n];
    component remainderRange[n];
    component remainderBelow[n];
    var unit = 2 ** probabilityBits;
    for (var i = 0; i < n; i++) {
        out[i] <-- (e[i].out * unit) \ sum;
        remainder[i] <-- (e[i].out * unit) % sum;
        e[i].out * unit === out[i] * sum + remainder[i];
        quotientRange[i] = RangeCheck(probabilityBits + 1);
        quotientRange[i].in <== out[i];
        remainderRange[i] = RangeCheck(sumBits);
        remainderRange[i].in <== remainder[i];
        remainderBelow[i] = RangeCheck(sumBits);
        remainderBelow[i].in <== sum - 1 - remainder[i];
    }
}

// floor(sqrt(a)) for 0 <= a < p/2, by Newton's iteration on integers (witness computation only).
function isqrtFloor(a) {
    if (a < 2) {
        return a;
    }
    var x = a;
    var y = (x + 1) \ 2;
    while (y < x) {
        x = y;
        y = (x + a \ x) \ 2;
    }
    return x;
}

// LayerNorm (layer = 1) or RMSNorm (layer = 0) of one row of n values (model/norm.ts):
//   d_i = n in_i - sum (layer) or in_i (rms);  v = sum d_i^2 + epsilon (epsilon >= 1);
//   r = floor(2^K / sqrt(v));  out_i = d_i * r.
// The prover supplies r, pinned by r^2 v <= 2^(2K) < (r + 1)^2 v: 2^(2K) - r^2 v is range-checked
// in 2K + 1 bits and (r + 1)^2 v - 2^(2K) - 1 = r^2 v + 2 r v + v - 2^(2K) - 1 in highBits, with r
// itself in K + 1 bits (r <= 2^K as v >= 1). r < 2^(K+1) and the planner's bound on v keep every
// product below 2^240, so these are inequalities between integers, not field elements, and r is
// the floor: r + 1 breaks the first, r - 1 the second.
template Norm(n, layer, epsilon, K, highBits) {
    signal input in[n];
    signal output out[n];
    assert(3 * K + highBits <= 500 && 2 * K + 1 <= 250 && highBits <= 250);
    var total = 0;
    for (var i = 0; i < n; i++) {
        total += in[i];
    }
    var d[n];
    for (var i = 0; i < n; i++) {
        d[i] = layer == 1 ? n * in[i] - total : in[i];
    }
    signal square[n];
    var v = epsilon;
    for (var i = 0; i < n; i++) {
        square[i] <== d[i] * d[i];
        v += square[i];
    }
    var unit = 2 ** (2 * K);
    signal r <-- isqrtFloor(unit \ v);
    component rRange = RangeCheck(K + 1);
    rRange.in <== r;
    signal rv <== r * v;
    signal rrv <== r * rv;
    component below = RangeCheck(2 * K + 1);
    below.in <== unit - rrv;
    component above = RangeCheck(highBits);
    above.in <== rrv + 2 * rv + v - unit - 1;
    for (var i = 0; i < n; i++) {
        out[i] <== d[i] * r;
    }
}
