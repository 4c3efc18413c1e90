--[[
  A call arrives: takes the next rotation offset of its hotline number and says whether the
  waiting line is empty, in one round trip.

  KEYS[1]  the waiting line (a sorted set)
  KEYS[2]  the number's rotation counter

  Returns { rotation (the counter's value before this call), callers in the line }.
]]
return { redis.call('INCR', KEYS[2]) - 1, redis.call('ZCARD', KEYS[1]) }
