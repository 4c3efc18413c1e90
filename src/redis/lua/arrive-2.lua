--[[
  A call arrives: takes the next rotation offset of its hotline number and says whether that
  number's waiting line is empty, in one round trip.

  KEYS[1]  the number's waiting line (a sorted set)
  KEYS[2]  the number's rotation counter

  Returns { rotation (the counter's value before this call), callers in the line }.
]]
return { redis.call('INCR', KEYS[2]) - 1, redis.call('ZCARD', KEYS[1]) }
