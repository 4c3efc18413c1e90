--[[
  Takes a call out of the waiting line it is in; a line left empty is struck from the list of
  lines, in the same step as the last caller leaves (a caller entering meanwhile puts it back).

  KEYS[1]  which line each waiting call is in (a hash: call id -> line name)
  KEYS[2]  the names of the lines with callers in them (a set)
  ARGV[1]  the call id
  ARGV[2]  the prefix of every line's key (the call's line is read from KEYS[1])

  Returns 1 when the call was taken out, 0 when it was in no line.
]]
local line = redis.call('HGET', KEYS[1], ARGV[1])
if not line then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
local key = ARGV[2] .. line
redis.call('ZREM', key, ARGV[1])
if redis.call('ZCARD', key) == 0 then
  redis.call('SREM', KEYS[2], line)
end
return 1
