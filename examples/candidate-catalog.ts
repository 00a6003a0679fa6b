// A candidate catalog for `nurture backtest`: the shipped sequences and model with a lower bar for
// an MQL (a total of 30 instead of 40). Edit sequences/ or the overrides here, then backtest.
import { defaultCatalog } from '../sequences/library';

export const catalog = defaultCatalog({ qualification: { mql: { fit: 20, intent: 10, total: 30 } } });
