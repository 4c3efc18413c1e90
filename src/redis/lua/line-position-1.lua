--[[
  How many callers are ahead of a call in the waiting line it is in.

  KEYS[1]  which line each waiting call is in (a hash: call id -> line name)
  ARGV[1]  the call id
  ARGV[2]  the prefix of every line's key (the call's line is read from KEYS[1])

  Returns the count, or nil when the call is in no line.
]]
local line = redis.call('HGET', KEYS[1], ARGV[1])
if not line then
  return nil
end
return redis.call('ZRANK', ARGV[2] .. line, ARGV[1])
