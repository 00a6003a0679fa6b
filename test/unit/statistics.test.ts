import { compareConversion, wilsonInterval } from '../../core/model/statistics';

// Reference values: Newcombe, "Interval estimation for the difference between independent
// proportions", Statistics in Medicine 17 (1998), tables I and II; the rest worked by hand.
describe('conversion statistics', () => {
  it("gives Wilson's interval as Newcombe's table I does", () => {
    const [low, high] = wilsonInterval(81, 263);
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
    // At a rate of 0 the interval still has width (the Wald interval would be [0, 0]).
    expect(wilsonInterval(0, 10)[1]).toBeCloseTo(0.2775, 4);
  });

  it("gives the difference's hybrid score interval as Newcombe's table II does (56/70 against 48/80)", () => {
    const result = compareConversion({ converted: 56, leads: 70 }, { converted: 48, leads: 80 });
    expect(result.difference).toBeCloseTo(0.2, 10);
    expect(result.differenceInterval![0]).toBeCloseTo(0.0524, 4);
    expect(result.differenceInterval![1]).toBeCloseTo(0.3339, 4);
    // Pooled z = 0.2 / 0.07547 = 2.650: p = 0.0080.
    expect(result.pValue).toBeCloseTo(0.00805, 4);
    // Ratio 4/3, log standard error sqrt(1/56 - 1/70 + 1/48 - 1/80) = 0.10911: lift 0.333 in [0.077, 0.651].
    expect(result.lift).toBeCloseTo(1 / 3, 10);
    expect(result.liftInterval![0]).toBeCloseTo(0.0766, 3);
    expect(result.liftInterval![1]).toBeCloseTo(0.6512, 3);
    expect(result.enoughData).toBe(true);
  });

  it('says when there is too little to go on, and gives no ratio without a conversion in each arm', () => {
    const small = compareConversion({ converted: 3, leads: 20 }, { converted: 1, leads: 18 });
    expect(small.enoughData).toBe(false);
    expect(small.differenceInterval).not.toBeNull();
    const none = compareConversion({ converted: 4, leads: 100 }, { converted: 0, leads: 100 });
    expect(none).toMatchObject({ lift: null, liftInterval: null });
    expect(compareConversion({ converted: 0, leads: 0 }, { converted: 0, leads: 10 })).toMatchObject({ difference: null, pValue: null, enoughData: false });
  });
});
