
BlogitsJ(¢påÀxoB¾”ñÁAf"ÁþiAe‚†¿4rÀ³§¼¿§€‹@ÇUÀ