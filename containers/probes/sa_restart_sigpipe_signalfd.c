/* Signals meeting IPC calls, to compare gVisor with Linux: an open(2) of a
   FIFO and a recv(2) on a unix stream socket interrupted by a SA_RESTART
   handler (restarted or EINTR); SIGPIPE for a write to a unix stream socket
   whose peer closed; signalfd(2) on an existing signalfd (its return
   value); a read(2) of a signalfd shorter than one record.
     bazel build //containers/probes:sa_restart_sigpipe_signalfd
     runsc --network=none do bazel-bin/containers/probes/sa_restart_sigpipe_signalfd */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
static void h(int s){(void)s;}
int main(){ setvbuf(stdout,0,_IONBF,0);
  struct sigaction sa={0}; sa.sa_handler=h; sa.sa_flags=SA_RESTART; sigaction(SIGALRM,&sa,0);
  unlink("/tmp/gvq-fifo"); mkfifo("/tmp/gvq-fifo",0600);
  if(fork()==0){ usleep(300000); kill(getppid(),SIGALRM); usleep(300000); int w=open("/tmp/gvq-fifo",O_WRONLY); usleep(100000); close(w); _exit(0);} 
  int fd=open("/tmp/gvq-fifo",O_RDONLY); printf("open(FIFO) interrupted by SA_RESTART handler: %d %s\n",fd,fd<0?strerror(errno):"(restarted)"); if(fd>=0)close(fd); else { int r2=open("/tmp/gvq-fifo",O_RDONLY|O_NONBLOCK); wait(0); close(r2);} 
  int s[2]; socketpair(AF_UNIX,SOCK_STREAM,0,s);
  if(fork()==0){ usleep(300000); kill(getppid(),SIGALRM); usleep(300000); write(s[1],"x",1); _exit(0);} 
  char c; long r=recv(s[0],&c,1,0); printf("recv(stream) interrupted by SA_RESTART handler: %ld %s\n",r,r<0?strerror(errno):"(restarted)"); if(r<0){read(s[0],&c,1);} wait(0);
  close(s[0]); signal(SIGPIPE,SIG_DFL);
  pid_t p=fork(); if(p==0){ write(s[1],"x",1); _exit(0);} int st; waitpid(p,&st,0);
  printf("write to unix stream socket whose peer closed: %s\n",WIFSIGNALED(st)?"killed by SIGPIPE": "no SIGPIPE (exited)");
  sigset_t m; sigemptyset(&m); sigaddset(&m,SIGUSR1); sigprocmask(SIG_BLOCK,&m,0);
  int sf=signalfd(-1,&m,SFD_NONBLOCK); sigaddset(&m,SIGUSR2); int sf2=signalfd(sf,&m,0); printf("signalfd(existing fd %d) returns %d\n",sf,sf2);
  struct signalfd_siginfo si[3]; kill(getpid(),SIGUSR1); r=read(sf,si,sizeof si[0]-1); printf("signalfd read of 127 bytes: %ld %s\n",r,r<0?strerror(errno):"");
  return 0;
}
