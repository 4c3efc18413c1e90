--[[
  Puts a call in its hotline's waiting line (keeping its place, and its line, if already in one),
  then looks whether any of the agents it could take holds no claim, in one round trip and in
  that order.

  KEYS[1]     the waiting line (a sorted set)
  KEYS[2]     which line each waiting call is in (a hash: call id -> line name)
  KEYS[3]     the names of the lines with callers in them (a set)
  KEYS[4..n]  the claim keys of the agents the call could take
  ARGV[1]     arrival, in milliseconds (the score)
  ARGV[2]     the call id
  ARGV[3]     the line's name (its hotline number)
  ARGV[4]     the prefix of every line's key (the line a call already waits in is read from KEYS[2])

  Returns { callers ahead of it in its line, 1 if one of those agents is unclaimed else 0 }.
]]
local line = redis.call('HGET', KEYS[2], ARGV[2])
local ahead
if line then
  ahead = redis.call('ZRANK', ARGV[4] .. line, ARGV[2])
else
  redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  redis.call('SADD', KEYS[3], ARGV[3])
  ahead = redis.call('ZRANK', KEYS[1], ARGV[2])
end
for i = 4, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    return { ahead, 1 }
  end
end
return { ahead, 0 }
