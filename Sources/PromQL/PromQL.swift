// PromQL engine: see issue 3. Nothing here yet.
import TSDB
